package console

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/staff"
)

// Rejection is one of billing's rejected files or referential reports: the key billing
// dropped, the rejection code ("referential_report" for a report), a message and when.
type Rejection struct {
	Key     string
	Code    string
	Message string
	At      time.Time
}

// RejectionSource lists a space's rejected files and referential reports (the inbox
// bucket's rejected/ and reports/).
type RejectionSource interface {
	// RejectionKeys lists them with their object key and time only.
	RejectionKeys(ctx context.Context, space string) ([]Rejection, error)
	// RejectionDetail reads one's code and message.
	RejectionDetail(ctx context.Context, r Rejection) (Rejection, error)
}

type rejectionCursor struct {
	At  time.Time `json:"t"`
	Key string    `json:"k"`
}

// RejectionsPage is one page of the space's rejections and reports, newest first, for
// a supervisor; only the page's entries are read.
func (s *Service) RejectionsPage(ctx context.Context, m staff.Member, cursor string, limit int) ([]Rejection, string, error) {
	if limit == 0 {
		limit = 50
	}
	if limit < 1 || limit > 200 {
		return nil, "", fault.Invalid("limit", "1 to 200")
	}
	purpose := "staff-rejections|" + m.Space
	var after *rejectionCursor
	if cursor != "" {
		raw, err := s.Cursors.Verify(purpose, cursor)
		var c rejectionCursor
		if err == nil {
			err = json.Unmarshal(raw, &c)
		}
		if err != nil {
			return nil, "", &fault.Error{Code: fault.CodeInvalid, Field: "cursor", Cause: err}
		}
		after = &c
	} else if err := s.record(ctx, m, staff.ActionViewRejections, "", ""); err != nil {
		return nil, "", err
	}
	if s.Rejections == nil {
		return nil, "", nil
	}
	all, err := s.Rejections.RejectionKeys(ctx, m.Space)
	if err != nil {
		return nil, "", fmt.Errorf("rejections: %w", err)
	}
	newestFirst := func(a, b Rejection) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return strings.Compare(b.Key, a.Key)
	}
	slices.SortFunc(all, newestFirst)
	start := 0
	if after != nil {
		start = len(all)
		for i, r := range all {
			if newestFirst(Rejection{At: after.At, Key: after.Key}, r) < 0 {
				start = i
				break
			}
		}
	}
	end := min(start+limit, len(all))
	page := make([]Rejection, 0, end-start)
	for _, r := range all[start:end] {
		d, err := s.Rejections.RejectionDetail(ctx, r)
		if err != nil {
			return nil, "", fmt.Errorf("rejections: %w", err)
		}
		page = append(page, d)
	}
	next := ""
	if end < len(all) {
		last := all[end-1]
		raw, _ := json.Marshal(rejectionCursor{At: last.At, Key: last.Key})
		next = s.Cursors.Sign(purpose, raw)
	}
	return page, next, nil
}
