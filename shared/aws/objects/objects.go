// Package objects is the S3 adapter: the inbox bucket billing writes to and the private
// archive bucket documents are kept in.
package objects

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/encoding/httpbinding"

	"github.com/efacture/efacture/shared/domain/spaces"
	"github.com/efacture/efacture/shared/service/ingest"
)

// Client is the part of the S3 client used here.
type Client interface {
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	CopyObject(context.Context, *s3.CopyObjectInput, ...func(*s3.Options)) (*s3.CopyObjectOutput, error)
	DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

// Store reads and writes the two buckets.
type Store struct {
	client  Client
	inbox   string
	archive string
	// maxRead bounds what Get reads, so an oversized drop cannot exhaust memory; the
	// caller still sees it is too large.
	maxRead int64
}

var _ ingest.Objects = (*Store)(nil)

// New returns a store on the inbox and archive buckets.
func New(client Client, inbox, archive string) *Store {
	return &Store{client: client, inbox: inbox, archive: archive, maxRead: spaces.MaxDocumentBytesCap}
}

func notFound(err error) bool {
	var nsk *types.NoSuchKey
	if errors.As(err, &nsk) {
		return true
	}
	var api smithy.APIError
	return errors.As(err, &api) && (api.ErrorCode() == "NoSuchKey" || api.ErrorCode() == "NotFound")
}

// Get reads an inbox object with its user metadata, or ingest.ErrGone.
func (s *Store) Get(ctx context.Context, key string) (ingest.Object, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.inbox, Key: &key})
	if notFound(err) {
		return ingest.Object{}, ingest.ErrGone
	}
	if err != nil {
		return ingest.Object{}, fmt.Errorf("get %s: %w", key, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(io.LimitReader(out.Body, s.maxRead+1))
	if err != nil {
		return ingest.Object{}, fmt.Errorf("read %s: %w", key, err)
	}
	meta := make(map[string]string, len(out.Metadata))
	for k, v := range out.Metadata {
		meta[strings.ToLower(k)] = v
	}
	return ingest.Object{Body: body, Metadata: meta}, nil
}

// Open reads an inbox object from offset on as a stream, or ingest.ErrGone. An offset at
// the object's end reads nothing.
func (s *Store) Open(ctx context.Context, key string, offset int64) (ingest.Stream, error) {
	in := &s3.GetObjectInput{Bucket: &s.inbox, Key: &key}
	if offset > 0 {
		in.Range = aws.String("bytes=" + strconv.FormatInt(offset, 10) + "-")
	}
	out, err := s.client.GetObject(ctx, in)
	if notFound(err) {
		return ingest.Stream{}, ingest.ErrGone
	}
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "InvalidRange" {
		return ingest.Stream{Body: io.NopCloser(strings.NewReader("")), Size: offset}, nil
	}
	if err != nil {
		return ingest.Stream{}, fmt.Errorf("get %s: %w", key, err)
	}
	size := aws.ToInt64(out.ContentLength)
	if cr := aws.ToString(out.ContentRange); cr != "" { // bytes first-last/size
		if i := strings.LastIndexByte(cr, '/'); i >= 0 {
			if n, err := strconv.ParseInt(cr[i+1:], 10, 64); err == nil {
				size = n
			}
		}
	}
	return ingest.Stream{Body: out.Body, ETag: aws.ToString(out.ETag), Size: size}, nil
}

func copySource(bucket, key string) *string {
	// CopySource is "bucket/key" with the key URL-encoded, slashes kept.
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return aws.String(bucket + "/" + strings.Join(parts, "/"))
}

// Archive copies an inbox object unchanged into the archive bucket.
func (s *Store) Archive(ctx context.Context, inboxKey, archiveKey string) error {
	_, err := s.client.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: &s.archive, Key: &archiveKey, CopySource: copySource(s.inbox, inboxKey),
		MetadataDirective: types.MetadataDirectiveReplace, ContentType: aws.String("application/pdf"),
	})
	if notFound(err) {
		return ingest.ErrGone
	}
	if err != nil {
		return fmt.Errorf("archive %s: %w", inboxKey, err)
	}
	return nil
}

// DeleteArchived removes an archive object.
func (s *Store) DeleteArchived(ctx context.Context, archiveKey string) error {
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.archive, Key: &archiveKey})
	if err != nil && !notFound(err) {
		return fmt.Errorf("delete archived %s: %w", archiveKey, err)
	}
	return nil
}

// Copy copies within the inbox bucket, metadata included.
func (s *Store) Copy(ctx context.Context, src, dst string) error {
	_, err := s.client.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &s.inbox, Key: &dst, CopySource: copySource(s.inbox, src)})
	if notFound(err) {
		return ingest.ErrGone
	}
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return nil
}

// Put writes a small object into the inbox bucket.
func (s *Store) Put(ctx context.Context, key string, body []byte, contentType string) error {
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.inbox, Key: &key, Body: bytes.NewReader(body), ContentType: &contentType})
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// Delete removes an inbox object; a missing one is fine.
func (s *Store) Delete(ctx context.Context, key string) error {
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.inbox, Key: &key})
	if err != nil && !notFound(err) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// ReadArchived returns an archived document's bytes (mail attachments).
func (s *Store) ReadArchived(ctx context.Context, archiveKey string) ([]byte, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.archive, Key: &archiveKey})
	if err != nil {
		return nil, fmt.Errorf("get archived %s: %w", archiveKey, err)
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

// Presigner signs archive downloads. The SDK's presign runs a whole operation stack for
// every URL, three quarters of its time (docs/BENCHMARKS.md, R6); here it runs once, to
// learn where keys go in the bucket's URLs, and each download is then signed with the
// SDK's SigV4 signer directly, which yields the same URL.
type Presigner struct {
	client  *s3.PresignClient
	archive string
	creds   aws.CredentialsProvider
	region  string
	signer  *v4.Signer

	mu   sync.Mutex
	base *url.URL // scheme, host and the escaped path before a key; nil until resolved
}

// NewPresigner returns a presigner for the archive bucket.
func NewPresigner(client *s3.Client, archive string) *Presigner {
	o := client.Options()
	return &Presigner{
		client: s3.NewPresignClient(client), archive: archive, creds: o.Credentials, region: o.Region,
		// S3 signs the path as sent: keys are escaped once, by the URL itself.
		signer: v4.NewSigner(func(so *v4.SignerOptions) { so.DisableURIPathEscaping = true }),
	}
}

// probeKey names no object; its presigned URL only shows where a key goes.
const probeKey = "probe"

// bucketURL resolves, once, the archive bucket's URL as the SDK builds it (endpoint,
// path or virtual-host style).
func (p *Presigner) bucketURL(ctx context.Context) (*url.URL, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.base != nil {
		return p.base, nil
	}
	req, err := p.client.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &p.archive, Key: aws.String(probeKey)})
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(req.URL)
	if err != nil {
		return nil, err
	}
	prefix, ok := strings.CutSuffix(u.EscapedPath(), "/"+probeKey)
	if !ok {
		return nil, fmt.Errorf("presign: unexpected URL shape %s://%s%s", u.Scheme, u.Host, u.EscapedPath())
	}
	p.base = &url.URL{Scheme: u.Scheme, Host: u.Host, RawPath: prefix + "/"}
	if p.base.Path, err = url.PathUnescape(p.base.RawPath); err != nil {
		return nil, err
	}
	return p.base, nil
}

// Download returns a GET URL of an archived PDF valid for ttl that makes browsers save
// the file as filename.
func (p *Presigner) Download(ctx context.Context, archiveKey, filename string, ttl time.Duration) (string, error) {
	return p.Presign(ctx, archiveKey, filename, "application/pdf", ttl)
}

// Presign returns a GET URL of any archive object valid for ttl, served as contentType
// and saved as filename.
func (p *Presigner) Presign(ctx context.Context, key, filename, contentType string, ttl time.Duration) (string, error) {
	base, err := p.bucketURL(ctx)
	if err != nil {
		return "", err
	}
	creds, err := p.creds.Retrieve(ctx)
	if err != nil {
		return "", err
	}
	u := *base
	u.Path += key
	u.RawPath += httpbinding.EscapePath(key, false)
	u.RawQuery = url.Values{
		"X-Amz-Expires":                {strconv.FormatInt(int64(ttl/time.Second), 10)},
		"response-content-disposition": {ContentDisposition(filename)},
		"response-content-type":        {contentType},
		"x-id":                         {"GetObject"},
	}.Encode()
	req := &http.Request{Method: http.MethodGet, URL: &u, Host: u.Host, Header: http.Header{}}
	signed, _, err := p.signer.PresignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "s3", p.region, time.Now())
	if err != nil {
		return "", err
	}
	return signed, nil
}

// ContentDisposition is an attachment disposition with an ASCII fallback and the RFC 5987
// UTF-8 name, so any document number downloads under its own name.
func ContentDisposition(filename string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '/' {
			return '_'
		}
		return r
	}, filename)
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, url.PathEscape(filename))
}
