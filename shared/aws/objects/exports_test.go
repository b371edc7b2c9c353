package objects_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/efacture/efacture/shared/aws/objects"
)

// TestExportUpload streams files below, at and above one part into moto, reads them
// back through a presigned URL, and checks a failing writer leaves no upload behind.
func TestExportUpload(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const bucket = "exports-test"
	client := motoBucket(ctx, t, bucket)
	a := objects.NewExportArchive(client, bucket, objects.NewPresigner(client, bucket))

	for name, size := range map[string]int{"empty": 0, "below one part": 1 << 20, "one part": objects.PartSize, "three parts": 2*objects.PartSize + 12345} {
		t.Run(name, func(t *testing.T) {
			want := make([]byte, size)
			rand.Read(want)
			key := "exports/" + strings.ReplaceAll(name, " ", "-") + ".zip"
			err := a.Upload(ctx, key, "application/zip", func(w io.Writer) error {
				// Odd-sized writes, as a ZIP writer makes.
				for b := want; len(b) > 0; {
					n := min(len(b), 100_003)
					if _, err := w.Write(b[:n]); err != nil {
						return err
					}
					b = b[n:]
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			url, err := a.Presign(ctx, key, "export é.zip", "application/zip", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			res, err := http.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			got, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusOK || !bytes.Equal(got, want) {
				t.Fatalf("got %d and %d bytes, want 200 and %d bytes", res.StatusCode, len(got), len(want))
			}
			// moto ignores response-content-disposition; the signature covers it (presign_test.go).
			q := mustParse(t, url).Query()
			if ct, cd := q.Get("response-content-type"), q.Get("response-content-disposition"); ct != "application/zip" || cd != objects.ContentDisposition("export é.zip") {
				t.Errorf("got response-content-type %q, response-content-disposition %q", ct, cd)
			}
		})
	}

	t.Run("failing writer aborts", func(t *testing.T) {
		boom := errors.New("boom")
		err := a.Upload(ctx, "exports/failed.zip", "application/zip", func(w io.Writer) error {
			if _, err := w.Write(make([]byte, objects.PartSize+1)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("got %v, want the writer's error", err)
		}
		uploads, err := client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatal(err)
		}
		if len(uploads.Uploads) != 0 {
			t.Errorf("got %d unfinished uploads, want them aborted", len(uploads.Uploads))
		}
		if _, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("exports/failed.zip")}); err == nil {
			t.Error("the failed export exists")
		}
	})
}

func mustParse(t *testing.T, s string) *neturl.URL {
	t.Helper()
	u, err := neturl.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
