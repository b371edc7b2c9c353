package objects

import (
	"context"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// sdkDownload is what Download signed before: the SDK's own presign.
func sdkDownload(t *testing.T, client *s3.Client, bucket, key, filename string, ttl time.Duration) string {
	t.Helper()
	return sdkPresign(t, client, bucket, key, filename, "application/pdf", ttl)
}

// sdkPresign is the SDK's presigned GET with a response content type and disposition.
func sdkPresign(t *testing.T, client *s3.Client, bucket, key, filename, contentType string, ttl time.Duration) string {
	t.Helper()
	req, err := s3.NewPresignClient(client).PresignGetObject(context.Background(), &s3.GetObjectInput{
		Bucket: &bucket, Key: &key,
		ResponseContentType:        aws.String(contentType),
		ResponseContentDisposition: aws.String(ContentDisposition(filename)),
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		t.Fatal(err)
	}
	return req.URL
}

// TestDownloadSignsAsTheSDK: Download's URL is the SDK's presigned URL, query order
// aside, for path-style and virtual-host buckets, awkward keys and session credentials.
// Nothing is sent anywhere.
func TestDownloadSignsAsTheSDK(t *testing.T) {
	creds := credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token/with+odd=chars")
	clients := map[string]*s3.Client{
		"path style on an emulator": s3.NewFromConfig(aws.Config{Region: "eu-west-3", Credentials: creds, BaseEndpoint: aws.String("http://127.0.0.1:4566")},
			func(o *s3.Options) { o.UsePathStyle = true }),
		"virtual host in the region": s3.NewFromConfig(aws.Config{Region: "eu-west-3", Credentials: creds}),
	}
	cases := []struct{ key, filename string }{
		{"documents/acme/C001/MjAyNi0xMS0yMCNGLTIwMjYtMDAx-0123abcd.pdf", "F-2026-001.pdf"},
		{"documents/acme/C 002/a+b=c&d é~!*'()$,;:@.pdf", "Facture n°42 « été ».pdf"},
		{"documents/acme/C003//double/slash.pdf", `quote"back\slash.pdf`},
	}
	for name, client := range clients {
		for _, c := range cases {
			t.Run(name+"/"+c.key, func(t *testing.T) {
				p := NewPresigner(client, "efacture-archive-1")
				// Both sign at the current second: retry across a second boundary.
				for try := 0; ; try++ {
					want := sdkDownload(t, client, "efacture-archive-1", c.key, c.filename, time.Minute)
					got, err := p.Download(context.Background(), c.key, c.filename, time.Minute)
					if err != nil {
						t.Fatal(err)
					}
					g, w := mustParse(t, got), mustParse(t, want)
					if g.Query().Get("X-Amz-Date") != w.Query().Get("X-Amz-Date") && try < 3 {
						continue
					}
					if g.Scheme != w.Scheme || g.Host != w.Host || g.EscapedPath() != w.EscapedPath() {
						t.Errorf("got %s://%s%s, want %s://%s%s", g.Scheme, g.Host, g.EscapedPath(), w.Scheme, w.Host, w.EscapedPath())
					}
					if !reflect.DeepEqual(g.Query(), w.Query()) {
						t.Errorf("got query %v, want %v", g.Query(), w.Query())
					}
					break
				}
			})
		}
	}
}

// TestPresignSignsAsTheSDK: an export's URL, with its own content type, is the SDK's too.
func TestPresignSignsAsTheSDK(t *testing.T) {
	creds := credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "")
	client := s3.NewFromConfig(aws.Config{Region: "eu-west-3", Credentials: creds})
	p := NewPresigner(client, "efacture-archive-1")
	const key, filename = "exports/acme/C001/0123abcd.csv", "Factures 2026.csv"
	for try := 0; ; try++ {
		want := sdkPresign(t, client, "efacture-archive-1", key, filename, "text/csv; charset=utf-8", time.Hour)
		got, err := p.Presign(context.Background(), key, filename, "text/csv; charset=utf-8", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		g, w := mustParse(t, got), mustParse(t, want)
		if g.Query().Get("X-Amz-Date") != w.Query().Get("X-Amz-Date") && try < 3 {
			continue
		}
		if g.EscapedPath() != w.EscapedPath() || !reflect.DeepEqual(g.Query(), w.Query()) {
			t.Errorf("got %s, want %s", got, want)
		}
		break
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
