# infra/sam.mk: Lambda builds for SAM's makefile build method.
#
# `sam build` calls `make build-<LogicalId>` with ARTIFACTS_DIR set, once per
# function of template.yaml whose Metadata says BuildMethod: makefile. The root
# Makefile includes this file. Adding a function is one line in SAM_FUNCTIONS,
# LogicalId:directory-under-functions, as in app.Functions (shared/app/functions.go),
# which the template tests compare with this list.

SAM_FUNCTIONS := \
	AdminFunction:admin \
	AuthFunction:auth \
	DocumentsFunction:documents \
	ExportsFunction:exports \
	IngestFunction:ingest \
	MailerFunction:mailer \
	MailRedriveFunction:mailredrive \
	MailEventsFunction:mailevents \
	DigestFunction:digest \
	PurgeFunction:purge \
	StaffFunction:staff

# Where `make build` puts artifacts, as `sam build` does.
SAM_BUILD_DIR ?= .aws-sam/build
GO ?= go

# Lambda's provided.al2023 runtime on Graviton; lambda.norpc drops the unused RPC mode.
SAM_GO_ENV := CGO_ENABLED=0 GOOS=linux GOARCH=arm64
SAM_GO_FLAGS := -tags lambda.norpc -trimpath -ldflags "-s -w"

SAM_FUNCTION_IDS := $(foreach f,$(SAM_FUNCTIONS),$(word 1,$(subst :, ,$(f))))

# Keep the including Makefile's default goal: nothing here should become it.
sam_saved_default_goal := $(.DEFAULT_GOAL)

# sam_function defines build-<LogicalId> for $(1)=LogicalId and $(2)=directory.
define sam_function
.PHONY: build-$(1) sam-build-$(1)
build-$(1):
	$$(if $$(ARTIFACTS_DIR),,$$(error ARTIFACTS_DIR is not set: run through sam build or make build))
	$$(SAM_GO_ENV) $$(GO) build $$(SAM_GO_FLAGS) -o $$(ARTIFACTS_DIR)/bootstrap ./functions/$(2)

# sam-build-<LogicalId> runs build-<LogicalId> into SAM's own build layout.
sam-build-$(1): override ARTIFACTS_DIR = $$(SAM_BUILD_DIR)/$(1)
sam-build-$(1): build-$(1)
endef

$(foreach f,$(SAM_FUNCTIONS),$(eval $(call sam_function,$(word 1,$(subst :, ,$(f))),$(word 2,$(subst :, ,$(f))))))

# build compiles every function as `sam build` would; Go's build cache keeps it incremental.
.PHONY: build
build: $(addprefix sam-build-,$(SAM_FUNCTION_IDS))

# sam-functions prints the LogicalIds this file can build, one a line.
.PHONY: sam-functions
sam-functions:
	@printf '%s\n' $(SAM_FUNCTION_IDS)

# validate-template runs cfn-lint and the SAM transform offline.
.PHONY: validate-template
validate-template:
	infra/template/validate.sh

.DEFAULT_GOAL := $(sam_saved_default_goal)
