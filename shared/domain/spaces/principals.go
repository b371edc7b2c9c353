package spaces

import (
	"fmt"
	"slices"
	"strings"
)

// SpaceTag is the IAM tag each billing principal carries, its value the space's id: the
// template's billing policy lets a principal write only under inbox/{that value}/.
const SpaceTag = "efacture-space"

// MaxBillingPrincipals bounds a space's list; billing needs a handful at most.
const MaxBillingPrincipals = 20

// The shapes below are checked by hand rather than with regexps: a counted repetition
// such as {4,124} compiles into that many states, and these ran at every cold start of
// every function (docs/BENCHMARKS.md R9). principals_test.go holds the regexps they
// equal.

// validPrincipalARN: an IAM role or user ARN, path included, as
// arn:aws:iam::123456789012:role/billing/acme.
func validPrincipalARN(arn string) bool {
	rest, ok := strings.CutPrefix(arn, "arn:aws")
	if !ok {
		return false
	}
	// Partition suffixes: aws-cn, aws-us-gov…
	for strings.HasPrefix(rest, "-") {
		n := 1
		for n < len(rest) && rest[n] >= 'a' && rest[n] <= 'z' {
			n++
		}
		if n == 1 {
			return false
		}
		rest = rest[n:]
	}
	if rest, ok = strings.CutPrefix(rest, ":iam::"); !ok || len(rest) < 13 || !allBytes(rest[:12], isDigit) || rest[12] != ':' {
		return false
	}
	rest = rest[13:]
	if r, ok := strings.CutPrefix(rest, "role/"); ok {
		rest = r
	} else if r, ok := strings.CutPrefix(rest, "user/"); ok {
		rest = r
	} else {
		return false
	}
	i := strings.LastIndexByte(rest, '/')
	name := rest[i+1:]
	return allBytes(rest[:i+1], func(c byte) bool { return c >= 0x21 && c <= 0x7e }) &&
		len(name) >= 1 && len(name) <= 64 && allBytes(name, isNameByte)
}

// validUniqueID: AROA… for roles, AIDA… for users (docs/SPACES.md).
func validUniqueID(id string) bool {
	if !strings.HasPrefix(id, "AROA") && !strings.HasPrefix(id, "AIDA") {
		return false
	}
	rest := id[4:]
	return len(rest) >= 4 && len(rest) <= 124 && allBytes(rest, func(c byte) bool { return isDigit(c) || c >= 'A' && c <= 'Z' })
}

func validSessionName(s string) bool {
	return len(s) >= 2 && len(s) <= 64 && allBytes(s, isNameByte)
}

// isNameByte: a byte of an IAM name or session name, [A-Za-z0-9+=,.@_-].
func isNameByte(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || strings.IndexByte("+=,.@_-", c) >= 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// PrincipalKind tells a role ARN from a user ARN.
func PrincipalKind(arn string) (kind, name string, ok bool) {
	if !validPrincipalARN(arn) {
		return "", "", false
	}
	rest := arn[strings.Index(arn, ":iam::")+len(":iam::")+13:]
	kind, path, _ := strings.Cut(rest, "/")
	return kind, path[strings.LastIndex(path, "/")+1:], true
}

// ValidUniqueID reports whether id has the shape of an IAM role or user unique id.
func ValidUniqueID(id string) bool { return validUniqueID(id) }

// EventUniqueID is the IAM unique id of whoever an S3 event says wrote the object: S3
// puts "AWS:<RoleId>:<session>" for an assumed role and "AWS:<UserId>" for a user in
// userIdentity.principalId, never the ARN. Anything else (a root or service principal,
// an emulator's placeholder, garbage) has no id and is never a billing principal.
func EventUniqueID(principalID string) (string, bool) {
	rest, ok := strings.CutPrefix(principalID, "AWS:")
	if !ok {
		return "", false
	}
	id, session, assumed := strings.Cut(rest, ":")
	if !validUniqueID(id) {
		return "", false
	}
	// A role acts only through a session, a user never has one.
	if strings.HasPrefix(id, "AROA") != assumed || (assumed && !validSessionName(session)) {
		return "", false
	}
	return id, true
}

// Confined reports whether the space names billing principals, so that ingestion
// accepts files only from them.
func (s *Space) Confined() bool { return len(s.BillingPrincipals) > 0 }

// BillingAllows reports whether ingestion accepts, for this space, an object an S3 event
// says principalID wrote: any principal when the space names none (PRODUCT.md §9), else
// only one whose unique id the spaces command resolved. A confined space whose ids were
// never resolved accepts nothing.
func (s *Space) BillingAllows(principalID string) bool {
	if !s.Confined() {
		return true
	}
	id, ok := EventUniqueID(principalID)
	return ok && slices.Contains(s.BillingPrincipalIDs, id)
}

// checkPrincipals validates billingPrincipals as ops wrote them.
func (s *Space) checkPrincipals(bad func(string, ...any)) {
	if len(s.BillingPrincipals) > MaxBillingPrincipals {
		bad("billingPrincipals: %d entries, at most %d", len(s.BillingPrincipals), MaxBillingPrincipals)
	}
	seen := map[string]bool{}
	for i, arn := range s.BillingPrincipals {
		if _, _, ok := PrincipalKind(arn); !ok {
			bad("billingPrincipals[%d] %q: want an IAM role ARN, arn:aws:iam::<account>:role/<name> (or a user's, …:user/<name>)", i, arn)
		}
		if seen[arn] {
			bad("billingPrincipals[%d] %q: listed twice", i, arn)
		}
		seen[arn] = true
	}
}

// checkSharedPrincipals refuses a principal named by two spaces: the tag on it can name
// only one, so one of them could never receive its files.
func checkSharedPrincipals(f File) error {
	owner := map[string]string{}
	var errs []string
	for _, sp := range f.Spaces {
		for _, arn := range sp.BillingPrincipals {
			if o, ok := owner[arn]; ok && o != sp.ID {
				errs = append(errs, fmt.Sprintf("billing principal %s is named by spaces %s and %s; a principal bills for one space", arn, o, sp.ID))
			}
			owner[arn] = sp.ID
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(errs, "; "))
}
