package fault

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestIs(t *testing.T) {
	wrong := &Error{Code: CodeInvalid, Reason: "wrong_password"}
	cases := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"same code", NotFound("document"), ErrNotFound, true},
		{"wrapped", fmt.Errorf("describe: %w", NotFound("space")), ErrNotFound, true},
		{"other code", NotFound("document"), ErrGone, false},
		{"plain error", io.EOF, ErrNotFound, false},
		{"code only target, reasoned error", &Error{Code: CodeInvalid, Reason: "wrong_password", Detail: "x"}, ErrInvalid, true},
		{"same reason", &Error{Code: CodeInvalid, Reason: "wrong_password"}, wrong, true},
		{"other reason", Invalid("email", "malformed"), wrong, false},
		{"cause kept", Wrap(CodeInvalid, io.ErrUnexpectedEOF), io.ErrUnexpectedEOF, true},
	}
	for _, c := range cases {
		if got := errors.Is(c.err, c.target); got != c.want {
			t.Errorf("%s: errors.Is(%v, %v): got %v, want %v", c.name, c.err, c.target, got, c.want)
		}
	}
}

func TestAs(t *testing.T) {
	err := fmt.Errorf("check: %w", Invalid("limit", "want 1 to 200"))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("errors.As(%v): got false, want true", err)
	}
	if e.Code != CodeInvalid || e.Field != "limit" {
		t.Errorf("got code %q field %q, want invalid limit", e.Code, e.Field)
	}
}

func TestCodeOf(t *testing.T) {
	cases := []struct {
		err  error
		want Code
	}{
		{nil, ""},
		{io.EOF, CodeInternal},
		{NotFound("export"), CodeNotFound},
		{fmt.Errorf("op: %w", New(CodeTooMany, "link used too often")), CodeTooMany},
		{Wrap(CodeTooLarge, io.EOF), CodeTooLarge},
		{&Error{}, CodeInternal},
	}
	for _, c := range cases {
		if got := CodeOf(c.err); got != c.want {
			t.Errorf("CodeOf(%v): got %q, want %q", c.err, got, c.want)
		}
	}
}

func TestWrap(t *testing.T) {
	if err := Wrap(CodeGone, nil); err != nil {
		t.Errorf("Wrap(nil): got %v, want nil", err)
	}
	err := Wrap(CodeConflict, io.ErrUnexpectedEOF)
	if !errors.Is(err, ErrConflict) || errors.Unwrap(err) != io.ErrUnexpectedEOF {
		t.Errorf("got %v, want a conflict caused by %v", err, io.ErrUnexpectedEOF)
	}
}

func TestErrorText(t *testing.T) {
	cases := []struct {
		err  *Error
		want string
	}{
		{NotFound("document"), "document not found"},
		{Invalid("limit", "want 1 to 200"), "invalid limit: want 1 to 200"},
		{&Error{Code: CodeInvalid, Reason: "wrong_password"}, "wrong_password"},
		{&Error{Code: CodeGone, Op: "complete", Cause: io.EOF}, "complete: gone: EOF"},
		{&Error{Code: CodeTooLarge}, "too_large"},
	}
	for _, c := range cases {
		if got := c.err.Error(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}
