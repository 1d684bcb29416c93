package blob

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// S3Store keeps objects in one bucket of an S3-compatible server.
type S3Store struct {
	client   *s3.Client
	uploader *transfermanager.Client
	bucket   string
}

// S3Config names the bucket and, for S3-compatible servers, the endpoint.
// Credentials come from the standard AWS environment (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, profiles, ...).
type S3Config struct {
	Bucket   string
	Endpoint string // e.g. http://127.0.0.1:7070; empty for AWS itself
	Region   string // default us-east-1
	// AccessKey and SecretKey, when set, replace the AWS environment's
	// credentials (tests and single-purpose setups).
	AccessKey, SecretKey string
	// EC2Metadata lets the SDK ask the EC2 instance metadata endpoint
	// (169.254.169.254) for credentials and region. Off by default: a node
	// that is not on EC2 would otherwise send requests there, and wait on
	// them, whenever the other credential sources come up empty.
	EC2Metadata bool
}

// partSize bounds memory: an upload buffers at most concurrency+2 parts (the
// first, read to learn whether multipart is needed, and a pool of
// concurrency+1). An object smaller than one part goes up in one PutObject.
const (
	partSize          = 8 << 20
	uploadConcurrency = 2
)

// NewS3Store connects to the bucket (it does not create it).
func NewS3Store(ctx context.Context, c S3Config) (*S3Store, error) {
	if c.Bucket == "" {
		return nil, errors.New("s3 blob store: no bucket")
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	opts := []func(*config.LoadOptions) error{config.WithRegion(c.Region)}
	if !c.EC2Metadata {
		opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	if c.AccessKey != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(c.AccessKey, c.SecretKey, "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3 blob store: %w", err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
			o.UsePathStyle = true // S3-compatible servers rarely do virtual-host buckets
		}
		// Newer SDKs add CRC checksums by default; not every S3-compatible
		// server accepts them.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	return &S3Store{
		client: client,
		uploader: transfermanager.New(client, func(o *transfermanager.Options) {
			o.PartSizeBytes = partSize
			o.MultipartUploadThreshold = partSize
			o.Concurrency = uploadConcurrency
			// The transfer manager overrides the client's setting and sends
			// CRC32 by default; keep it to what the server requires (above).
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		}),
		bucket: c.Bucket,
	}, nil
}

// Put streams to the bucket. A multipart upload only becomes visible when
// it completes, and is aborted on any error (the size cap included), so the
// key never holds a partial object.
func (s *S3Store) Put(ctx context.Context, key string, r io.Reader, maxBytes int64) (Info, error) {
	if err := checkKey(key); err != nil {
		return Info{}, err
	}
	m := newMeter(r, maxBytes)
	_, err := s.uploader.UploadObject(ctx, &transfermanager.UploadObjectInput{Bucket: &s.bucket, Key: &key, Body: m})
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			return Info{}, fmt.Errorf("put %s: more than %d bytes: %w", key, maxBytes, ErrTooLarge)
		}
		return Info{}, fmt.Errorf("put %s: %w", key, err)
	}
	return m.info(key), nil
}

func (s *S3Store) Open(ctx context.Context, key string) (io.ReadCloser, Info, error) {
	if err := checkKey(key); err != nil {
		return nil, Info{}, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return nil, Info{}, s.mapErr("open", key, err)
	}
	return out.Body, Info{Key: key, Size: aws.ToInt64(out.ContentLength)}, nil
}

func (s *S3Store) Stat(ctx context.Context, key string) (Info, error) {
	if err := checkKey(key); err != nil {
		return Info{}, err
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return Info{}, s.mapErr("stat", key, err)
	}
	return Info{Key: key, Size: aws.ToInt64(out.ContentLength)}, nil
}

func (s *S3Store) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		if err := s.mapErr("delete", key, err); errors.Is(err, ErrNotFound) {
			return nil
		}
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

func (s *S3Store) mapErr(op, key string, err error) error {
	var noKey *types.NoSuchKey
	var notFound *types.NotFound
	var apiErr smithy.APIError
	if errors.As(err, &noKey) || errors.As(err, &notFound) ||
		(errors.As(err, &apiErr) && (apiErr.ErrorCode() == "NoSuchKey" || apiErr.ErrorCode() == "NotFound")) {
		return fmt.Errorf("%s: %w", key, ErrNotFound)
	}
	return fmt.Errorf("%s %s: %w", op, key, err)
}

// PutUnsynced is Put: an S3 object is durable once its upload completes.
func (s *S3Store) PutUnsynced(ctx context.Context, key string, r io.Reader, maxBytes int64) (Info, error) {
	return s.Put(ctx, key, r, maxBytes)
}

// Sync has nothing to flush on S3 (see PutUnsynced); it only checks keys.
func (s *S3Store) Sync(_ context.Context, keys []string) error {
	for _, key := range keys {
		if err := checkKey(key); err != nil {
			return err
		}
	}
	return nil
}
