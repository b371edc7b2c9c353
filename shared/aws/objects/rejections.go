package objects

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/efacture/efacture/shared/service/console"
)

// RejectionsClient is the part of the S3 client the console's rejections read.
type RejectionsClient interface {
	ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Rejections reads what ingestion wrote back to billing in the inbox bucket: the
// `.error.json` of rejected files under rejected/{space}/ and the referential reports
// under reports/{space}/.
type Rejections struct {
	Client RejectionsClient
	Bucket string
	// MaxListed bounds the keys listed per prefix, newest kept: S3 lists by key, not by
	// time, so a page newest first needs the whole listing.
	MaxListed int
}

var _ console.RejectionSource = (*Rejections)(nil)

// RejectionKeys lists the space's rejections and reports with their times.
func (r *Rejections) RejectionKeys(ctx context.Context, space string) ([]console.Rejection, error) {
	var out []console.Rejection
	for _, p := range []struct{ prefix, suffix string }{
		{"rejected/" + space + "/", ".error.json"}, {"reports/" + space + "/", ".report.json"},
	} {
		in := &s3.ListObjectsV2Input{Bucket: &r.Bucket, Prefix: aws.String(p.prefix)}
		listed := 0
		for {
			page, err := r.Client.ListObjectsV2(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("list %s: %w", p.prefix, err)
			}
			for _, o := range page.Contents {
				k := aws.ToString(o.Key)
				if strings.HasSuffix(k, p.suffix) && o.LastModified != nil {
					out = append(out, console.Rejection{Key: k, At: o.LastModified.UTC()})
				}
			}
			listed += len(page.Contents)
			if !aws.ToBool(page.IsTruncated) || (r.MaxListed > 0 && listed >= r.MaxListed) {
				break
			}
			in.ContinuationToken = page.NextContinuationToken
		}
	}
	return out, nil
}

// RejectionDetail reads one rejection's or report's JSON into its code and message.
func (r *Rejections) RejectionDetail(ctx context.Context, rej console.Rejection) (console.Rejection, error) {
	obj, err := r.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: &r.Bucket, Key: &rej.Key})
	if err != nil {
		return rej, fmt.Errorf("read %s: %w", rej.Key, err)
	}
	defer obj.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(obj.Body, 4<<20))
	if err != nil {
		return rej, err
	}
	var body struct {
		Key       string `json:"key"`
		Code      string `json:"code"`
		MessageFR string `json:"message_fr"`
		Rows      *int   `json:"rows"`
		Applied   int    `json:"applied"`
		Unchanged int    `json:"unchanged"`
		Rejected  int    `json:"rejected"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		rej.Code, rej.Message = "unreadable_report", "rapport illisible"
		return rej, nil
	}
	if body.Key != "" {
		rej.Key = body.Key
	}
	if strings.HasSuffix(rej.Key, ".report.json") || body.Rows != nil {
		rej.Code = "referential_report"
		rows := 0
		if body.Rows != nil {
			rows = *body.Rows
		}
		rej.Message = fmt.Sprintf("%d lignes : %d appliquées, %d inchangées, %d refusées", rows, body.Applied, body.Unchanged, body.Rejected)
		return rej, nil
	}
	rej.Code, rej.Message = body.Code, body.MessageFR
	return rej, nil
}
