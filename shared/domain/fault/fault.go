// Package fault is the one error vocabulary of the domain and the services: an *Error
// says what kind of failure happened (its Code), which the transports turn into a status,
// and keeps the cause for the log. It depends on the standard library only.
package fault

import (
	"errors"
	"strings"
)

// Code is the kind of a failure, the part a client may rely on.
type Code string

// The codes. A transport maps each to one answer (PRODUCT.md §7); an error with no code
// is internal.
const (
	CodeInvalid         Code = "invalid"         // the input is malformed or breaks a rule
	CodeNotFound        Code = "not_found"       // no such thing, or not the caller's
	CodeConflict        Code = "conflict"        // the current state forbids the change
	CodeUnauthenticated Code = "unauthenticated" // no live session, or wrong credentials
	CodeForbidden       Code = "forbidden"       // the caller may not do this
	CodeGone            Code = "gone"            // a link or token expired or was spent
	CodeTooMany         Code = "too_many"        // a rate limit was reached
	CodeTooLarge        Code = "too_large"       // the request asks for too much
	CodeUnsupported     Code = "unsupported"     // the request's body is not in a form served
	CodeInternal        Code = "internal"        // anything else: the client learns nothing
)

// Error is a failure with two faces: Code, Reason, Field, Message, Args and Rules are
// safe to show a client; Detail, Op and Cause go to the log only.
type Error struct {
	Code Code
	// Reason is the client's code when it is finer than Code's, such as
	// "wrong_password" or "identifier_taken" (PRODUCT.md §7).
	Reason string
	// Field names the input at fault.
	Field string
	// Message is the key of the text a client reads when it is not Reason's or Code's.
	Message string
	// Args fill the client's text, such as the address "no_account" names.
	Args []string
	// Rules are the rules of a policy the input broke.
	Rules []string

	// Detail says what went wrong, for the log.
	Detail string
	// Op is the operation that failed, for the log.
	Op string
	// Cause is the underlying error.
	Cause error
}

// Error returns the log's view of e.
func (e *Error) Error() string {
	var parts []string
	if e.Op != "" {
		parts = append(parts, e.Op)
	}
	what := e.Detail
	if what == "" {
		what = e.Reason
	}
	if what == "" {
		what = string(e.Code)
	}
	if e.Field != "" {
		what = string(e.Code) + " " + e.Field + ": " + what
	}
	parts = append(parts, what)
	if e.Cause != nil {
		parts = append(parts, e.Cause.Error())
	}
	return strings.Join(parts, ": ")
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Is reports whether target is an *Error of the same Code and, when target has a Reason,
// of the same Reason: errors.Is(err, ErrNotFound) matches every not-found.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.Reason == "" || t.Reason == e.Reason)
}

// ErrInvalid matches every invalid input. Like the sentinels below, it is for errors.Is,
// which compares codes only.
var ErrInvalid = &Error{Code: CodeInvalid}

// ErrNotFound matches every not-found.
var ErrNotFound = &Error{Code: CodeNotFound}

// ErrConflict matches every conflict.
var ErrConflict = &Error{Code: CodeConflict}

// ErrUnauthenticated matches every unauthenticated failure.
var ErrUnauthenticated = &Error{Code: CodeUnauthenticated}

// ErrForbidden matches every forbidden action.
var ErrForbidden = &Error{Code: CodeForbidden}

// ErrGone matches every expired or spent link.
var ErrGone = &Error{Code: CodeGone}

// ErrTooMany matches every rate limit.
var ErrTooMany = &Error{Code: CodeTooMany}

// ErrTooLarge matches every request that asks for too much.
var ErrTooLarge = &Error{Code: CodeTooLarge}

// New returns an error of code with detail for the log.
func New(code Code, detail string) *Error { return &Error{Code: code, Detail: detail} }

// NotFound returns a not-found of what, such as "document".
func NotFound(what string) *Error { return &Error{Code: CodeNotFound, Detail: what + " not found"} }

// Invalid returns an invalid input error naming field ("" when no single field is at
// fault), with msg saying why for the log.
func Invalid(field, msg string) *Error { return &Error{Code: CodeInvalid, Field: field, Detail: msg} }

// Wrap returns err as an error of code, nil for nil.
func Wrap(code Code, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Cause: err}
}

// CodeOf returns the code of the first *Error in err's chain: "" for nil, CodeInternal
// when there is none.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e.Code
	}
	return CodeInternal
}
