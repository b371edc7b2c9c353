package documents

import (
	"errors"
	"fmt"
)

// Rejection codes of PRODUCT.md §3, written into `.error.json`.
const (
	CodeNotPDF           = "not_pdf"
	CodeEmpty            = "empty"
	CodeTooLarge         = "too_large"
	CodeBadExtension     = "bad_extension"
	CodeUnknownSpace     = "unknown_space"
	CodeMissingField     = "missing_field"
	CodeBadValue         = "bad_value"
	CodeFutureDate       = "future_date"
	CodePastRetention    = "past_retention"
	CodeMetadataMismatch = "metadata_mismatch"
	CodeSirenMismatch    = "siren_mismatch"
	CodeConflict         = "conflict"
	CodeUnreadable       = "unreadable"
	CodeForbiddenSpace   = "forbidden_space"
)

// Rejection is why billing's file was not filed, in both languages, with the fields at fault.
// It is the JSON written beside the rejected file.
type Rejection struct {
	Code      string   `json:"code"`
	MessageEN string   `json:"message_en"`
	MessageFR string   `json:"message_fr"`
	Key       string   `json:"key"`
	Fields    []string `json:"fields"`
}

func (r *Rejection) Error() string { return r.Code + ": " + r.MessageEN }

// Reject builds a rejection; key is filled in by the caller who knows it.
func Reject(code string, fields []string, en, fr string, args ...any) *Rejection {
	if fields == nil {
		fields = []string{}
	}
	return &Rejection{Code: code, Fields: fields, MessageEN: fmt.Sprintf(en, args...), MessageFR: fmt.Sprintf(fr, args...)}
}

// AsRejection reports whether err is a rejection and returns it.
func AsRejection(err error) (*Rejection, bool) {
	var r *Rejection
	ok := errors.As(err, &r)
	return r, ok
}
