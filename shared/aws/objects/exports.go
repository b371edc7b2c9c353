package objects

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/efacture/efacture/shared/service/exports"
)

// PartSize is the size of every part of a multipart upload but the last: S3's minimum,
// so an upload holds no more than one part in memory.
const PartSize = 5 << 20

// MultipartClient is the part of the S3 client export files need.
type MultipartClient interface {
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	CreateMultipartUpload(context.Context, *s3.CreateMultipartUploadInput, ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	UploadPart(context.Context, *s3.UploadPartInput, ...func(*s3.Options)) (*s3.UploadPartOutput, error)
	CompleteMultipartUpload(context.Context, *s3.CompleteMultipartUploadInput, ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(context.Context, *s3.AbortMultipartUploadInput, ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
}

// ExportArchive reads archived PDFs, streams export files into the archive bucket and
// signs their downloads.
type ExportArchive struct {
	*Presigner
	client   MultipartClient
	bucket   string
	partSize int
}

var _ exports.Archive = (*ExportArchive)(nil)

// NewExportArchive returns the export files' store in the archive bucket; presign is the
// archive bucket's presigner, shared with document downloads.
func NewExportArchive(client MultipartClient, bucket string, presign *Presigner) *ExportArchive {
	return &ExportArchive{Presigner: presign, client: client, bucket: bucket, partSize: PartSize}
}

// Open reads an archived object.
func (a *ExportArchive) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	out, err := a.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &a.bucket, Key: &key})
	if err != nil {
		return nil, fmt.Errorf("get archived %s: %w", key, err)
	}
	return out.Body, nil
}

// Upload streams what write produces to key, so a 500 MiB ZIP never sits in memory: one
// PutObject when it fits in a part, a multipart upload of PartSize parts otherwise.
func (a *ExportArchive) Upload(ctx context.Context, key, contentType string, write func(io.Writer) error) error {
	pr, pw := io.Pipe()
	wrote := make(chan error, 1)
	go func() {
		err := write(pw)
		pw.CloseWithError(err) // nil closes the pipe normally
		wrote <- err
	}()
	upErr := a.upload(ctx, key, contentType, pr)
	if upErr != nil {
		pr.CloseWithError(upErr) // unblocks a writer the upload stopped reading
	}
	// The writer's error comes first: it says why the upload was cut short.
	if err := <-wrote; err != nil {
		return err
	}
	if upErr != nil {
		return fmt.Errorf("upload %s: %w", key, upErr)
	}
	return nil
}

// upload reads r to its end into key.
func (a *ExportArchive) upload(ctx context.Context, key, contentType string, r io.Reader) error {
	buf := make([]byte, a.partSize)
	n, err := io.ReadFull(r, buf)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		_, err = a.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &a.bucket, Key: &key, Body: bytes.NewReader(buf[:n]), ContentType: &contentType})
		return err
	}
	if err != nil {
		return err
	}
	created, err := a.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: &a.bucket, Key: &key, ContentType: &contentType, ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
	})
	if err != nil {
		return err
	}
	parts, err := a.parts(ctx, key, created.UploadId, buf, n, r)
	if err == nil {
		_, err = a.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket: &a.bucket, Key: &key, UploadId: created.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		})
	}
	if err != nil {
		// Parts of an unfinished upload are billed until aborted; abort even when ctx is done.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_, abortErr := a.client.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{Bucket: &a.bucket, Key: &key, UploadId: created.UploadId})
		return errors.Join(err, abortErr)
	}
	return nil
}

// parts uploads buf[:n], already read, then the rest of r, one part at a time.
func (a *ExportArchive) parts(ctx context.Context, key string, uploadID *string, buf []byte, n int, r io.Reader) ([]types.CompletedPart, error) {
	var parts []types.CompletedPart
	var readErr error
	for num := int32(1); n > 0; num++ {
		out, err := a.client.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: &a.bucket, Key: &key, UploadId: uploadID, PartNumber: &num,
			Body: bytes.NewReader(buf[:n]), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
		})
		if err != nil {
			return nil, err
		}
		parts = append(parts, types.CompletedPart{PartNumber: &num, ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32})
		if readErr == io.ErrUnexpectedEOF {
			break // that was the short last part
		}
		n, readErr = io.ReadFull(r, buf)
		if readErr != nil && readErr != io.EOF && readErr != io.ErrUnexpectedEOF {
			return nil, readErr
		}
	}
	return parts, nil
}
