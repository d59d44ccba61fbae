package media

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/sns-os/snsos"
)

// S3PartSize is the size of the parts in which S3.Put uploads. The size of
// an upload is not known in advance, so each Put in progress holds exactly
// one part in memory: the memory cost of an upload is S3PartSize (16 MiB),
// whatever the size of the file, and N concurrent uploads cost N×16 MiB.
// It also caps an object at 10,000 parts: 160 GiB.
const S3PartSize = 16 << 20

// s3TempPrefix is where S3.Put uploads objects before they are complete
// and checked; like Disk's tmp folder, nothing outside this package reads
// it.
const s3TempPrefix = "tmp/"

// s3MaxSingleCopy is the largest object S3 (and R2) copy in one request;
// larger ones are copied in parts.
const s3MaxSingleCopy = 5 << 30

// s3CheckTimeout bounds NewS3's checks when the caller's context has no
// deadline, so a wrong endpoint fails instead of retrying for minutes.
const s3CheckTimeout = 30 * time.Second

// S3Config configures an S3 store. The comments name the environment
// variables sns-os reads them from.
type S3Config struct {
	// Endpoint is host[:port] without a scheme, e.g.
	// "<account>.r2.cloudflarestorage.com" (SNSOS_S3_ENDPOINT).
	Endpoint string
	// Bucket must exist (SNSOS_S3_BUCKET).
	Bucket string
	// Region is "auto" for Cloudflare R2; empty asks the server
	// (SNSOS_S3_REGION).
	Region string
	// AccessKey and SecretKey are the credentials (SNSOS_S3_ACCESS_KEY,
	// SNSOS_S3_SECRET_KEY or SNSOS_S3_SECRET_KEY_FILE).
	AccessKey string
	SecretKey snsos.Secret
	// UseSSL selects HTTPS; it should be true for anything but a local test
	// server (SNSOS_S3_USE_SSL).
	UseSSL bool
	// PathStyle forces path-style requests (host/bucket/key); otherwise
	// minio-go chooses (virtual-hosted on AWS and a few others, path style
	// elsewhere) (SNSOS_S3_PATH_STYLE).
	PathStyle bool
}

// S3 is a Store in an S3-compatible bucket (Cloudflare R2 in production).
// Objects have the same keys as on a Disk ("sha256/ab/abcdef…"). Put
// uploads to a temporary key "tmp/<random>" while hashing, then copies the
// complete object to its content address on the server and deletes the
// temporary one, so an object is never visible under its key before it is
// complete.
//
// Open's stream implements io.ReaderAt and io.Seeker with ranged GETs, so a
// Library can probe files stored here. PresignedGet hands out expiring links
// for platforms that fetch media by URL.
type S3 struct {
	client   *minio.Client
	core     minio.Core
	bucket   string
	endpoint string
	partSize uint64
}

var _ Store = (*S3)(nil)

// NewS3 connects to the bucket cfg names and checks that it exists and the
// credentials may use it. Errors name the setting at fault and never contain
// the secret key. It also removes temporary objects and unfinished uploads
// that a crashed process left more than a day ago (best effort).
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey.Reveal(), ""),
		Secure:       cfg.UseSSL,
		Region:       cfg.Region,
		BucketLookup: lookup,
	})
	if err != nil {
		return nil, snsos.Errorf(snsos.EINVALID, "media: s3: endpoint %q (SNSOS_S3_ENDPOINT): %v", cfg.Endpoint, scrub(err, cfg.SecretKey))
	}
	s := &S3{client: client, core: minio.Core{Client: client}, bucket: cfg.Bucket, endpoint: cfg.Endpoint, partSize: S3PartSize}

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s3CheckTimeout)
		defer cancel()
	}
	exists, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, s.checkErr(err, cfg)
	}
	if !exists {
		return nil, snsos.Errorf(snsos.EINVALID, "media: s3: bucket %q (SNSOS_S3_BUCKET) does not exist at %s", cfg.Bucket, s.where(cfg))
	}
	s.removeStaleTemps(ctx, time.Now())
	return s, nil
}

func (c S3Config) validate() error {
	bad := func(format string, args ...any) error {
		return snsos.Errorf(snsos.EINVALID, "media: s3: "+format, args...)
	}
	switch {
	case c.Endpoint == "":
		return bad("no endpoint set (SNSOS_S3_ENDPOINT), e.g. <account>.r2.cloudflarestorage.com")
	case strings.Contains(c.Endpoint, "://"):
		return bad("endpoint %q (SNSOS_S3_ENDPOINT) must be host[:port] without a scheme; HTTPS is chosen by SNSOS_S3_USE_SSL", c.Endpoint)
	case strings.ContainsAny(c.Endpoint, "/?#@ "):
		return bad("endpoint %q (SNSOS_S3_ENDPOINT) must be host[:port] only, without a path", c.Endpoint)
	case c.Bucket == "":
		return bad("no bucket set (SNSOS_S3_BUCKET)")
	case c.AccessKey == "":
		return bad("no access key set (SNSOS_S3_ACCESS_KEY)")
	case c.SecretKey.IsZero():
		return bad("no secret key set (SNSOS_S3_SECRET_KEY or SNSOS_S3_SECRET_KEY_FILE)")
	}
	return nil
}

func (s *S3) where(cfg S3Config) string {
	scheme := "http"
	if cfg.UseSSL {
		scheme = "https"
	}
	return scheme + "://" + cfg.Endpoint
}

// checkErr explains why NewS3's bucket check failed.
func (s *S3) checkErr(err error, cfg S3Config) error {
	where := s.where(cfg)
	resp := minio.ToErrorResponse(err)
	msg := scrub(err, cfg.SecretKey)
	switch {
	case resp.Code == "InvalidAccessKeyId":
		return snsos.Errorf(snsos.EUNAUTHORIZED, "media: s3: %s does not know the access key (SNSOS_S3_ACCESS_KEY): %s", where, msg)
	case resp.Code == "SignatureDoesNotMatch":
		return snsos.Errorf(snsos.EUNAUTHORIZED, "media: s3: %s rejected the signature: check the secret key (SNSOS_S3_SECRET_KEY) and the region (SNSOS_S3_REGION): %s", where, msg)
	case resp.Code == "AuthorizationHeaderMalformed" || resp.Code == "InvalidRegion":
		return snsos.Errorf(snsos.EINVALID, "media: s3: %s rejected the region %q (SNSOS_S3_REGION; \"auto\" for R2): %s", where, cfg.Region, msg)
	case resp.Code == "AccessDenied" || resp.StatusCode == http.StatusForbidden:
		return snsos.Errorf(snsos.EFORBIDDEN, "media: s3: access to bucket %q (SNSOS_S3_BUCKET) at %s denied: check the access key (SNSOS_S3_ACCESS_KEY), the secret key (SNSOS_S3_SECRET_KEY) and their permissions: %s", cfg.Bucket, where, msg)
	case resp.StatusCode == http.StatusMovedPermanently || resp.Code == "PermanentRedirect":
		return snsos.Errorf(snsos.EINVALID, "media: s3: bucket %q (SNSOS_S3_BUCKET) is in another region than %q (SNSOS_S3_REGION) or needs SNSOS_S3_PATH_STYLE: %s", cfg.Bucket, cfg.Region, msg)
	case isNetErr(err):
		return snsos.Errorf(snsos.EUNAVAILABLE, "media: s3: cannot reach %s (SNSOS_S3_ENDPOINT, SNSOS_S3_USE_SSL): %s", where, msg)
	}
	return snsos.Errorf(snsos.EUNAVAILABLE, "media: s3: checking bucket %q (SNSOS_S3_BUCKET) at %s: %s", cfg.Bucket, where, msg)
}

// scrub returns err's message with the secret removed, in case some layer
// ever echoes it.
func scrub(err error, secret snsos.Secret) string {
	msg := err.Error()
	if !secret.IsZero() {
		msg = strings.ReplaceAll(msg, secret.Reveal(), snsos.Mask)
	}
	return msg
}

func isNetErr(err error) bool {
	var ne net.Error
	var ue *url.Error
	return errors.As(err, &ne) || errors.As(err, &ue) || errors.Is(err, context.DeadlineExceeded)
}

// String names the bucket, never the credentials.
func (s *S3) String() string { return "s3://" + s.bucket + " at " + s.endpoint }

// removeStaleTemps deletes temporary objects and aborts unfinished
// multipart uploads under tmp/ older than staleTemp. Errors are ignored: a
// leftover is only wasted space (a bucket lifecycle rule on tmp/ does the
// same job).
func (s *S3) removeStaleTemps(ctx context.Context, now time.Time) {
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s3TempPrefix, Recursive: true}) {
		if obj.Err != nil {
			break
		}
		if now.Sub(obj.LastModified) > staleTemp {
			s.client.RemoveObject(ctx, s.bucket, obj.Key, minio.RemoveObjectOptions{})
		}
	}
	for up := range s.client.ListIncompleteUploads(ctx, s.bucket, s3TempPrefix, true) {
		if up.Err != nil {
			break
		}
		if now.Sub(up.Initiated) > staleTemp {
			s.core.AbortMultipartUpload(ctx, s.bucket, up.Key, up.UploadID)
		}
	}
}

// check returns an EINVALID error if key is not a content address.
func (s *S3) check(key string) error {
	if shaOfKey(key) == "" {
		return snsos.Errorf(snsos.EINVALID, "media: %q is not a storage key", key)
	}
	return nil
}

// opErr wraps an error from the server: ENOTFOUND for a missing object,
// EUNAVAILABLE when the server cannot be reached.
func (s *S3) opErr(op, key string, err error) error {
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.Code == "NoSuchKey" || (resp.StatusCode == http.StatusNotFound && resp.Code != "NoSuchBucket"):
		return snsos.WrapError(snsos.ENOTFOUND, err, "media file not found")
	case resp.Code == "InvalidRange":
		return snsos.WrapError(snsos.EINVALID, err, "the range is outside the media file")
	case isNetErr(err) && !errors.Is(err, context.Canceled):
		return snsos.WrapError(snsos.EUNAVAILABLE, fmt.Errorf("media: s3: %s %s: %w", op, key, err), "the media bucket is unreachable")
	}
	return fmt.Errorf("media: s3: %s %s: %w", op, key, err)
}

// Put implements Store. It streams r to a temporary object while hashing
// it, in parts of S3PartSize (the only buffer it holds), then copies the
// object on the server to its content address, unless an object of the
// same size is there already, and deletes the temporary object. On every
// failure the temporary object (or the unfinished upload) is removed, and
// an error from r is returned as it is.
func (s *S3) Put(ctx context.Context, r io.Reader) (key, sha256hex string, size int64, err error) {
	if err := ctx.Err(); err != nil {
		return "", "", 0, err
	}
	tmp := s3TempPrefix + strings.ToLower(rand.Text())
	defer func() {
		// Always drop the temporary object: after a successful copy it
		// is a duplicate, after a failure a leftover. minio-go has already
		// aborted a failed multipart upload.
		s.removeQuietly(ctx, tmp)
	}()

	hr := &hashReader{r: ctxReader{ctx, r}, h: sha256.New()}
	// Read one byte first: empty content must be a plain PUT of 0 bytes,
	// as servers refuse a multipart upload's part without a length.
	var first [1]byte
	n, _ := io.ReadFull(hr, first[:])
	if hr.err != nil {
		return "", "", 0, hr.err
	}
	body, length := io.MultiReader(bytes.NewReader(first[:n]), hr), int64(-1)
	if n == 0 {
		body, length = bytes.NewReader(nil), 0
	}
	info, err := s.client.PutObject(ctx, s.bucket, tmp, body, length, minio.PutObjectOptions{
		PartSize:    s.partSize,
		ContentType: "application/octet-stream",
		// Sign parts as UNSIGNED-PAYLOAD, as minio-go does over HTTPS
		// anyway: over plain HTTP it would otherwise use aws-chunked
		// streaming signatures, which not every S3-compatible server
		// (gofakes3 among them) decodes. Content-MD5 lets the server
		// check each part; sha256 is checked on our side.
		DisableContentSha256: true,
		SendContentMd5:       true,
	})
	if hr.err != nil {
		return "", "", 0, hr.err // the reader's own error, e.g. a size cap: callers inspect it
	}
	if err != nil {
		return "", "", 0, s.opErr("upload", tmp, err)
	}
	if !hr.eof || info.Size != hr.n {
		return "", "", 0, fmt.Errorf("media: s3: upload %s: stored %d bytes of %d read", tmp, info.Size, hr.n)
	}
	sha256hex = hex.EncodeToString(hr.h.Sum(nil))
	key, size = KeyFor(sha256hex), hr.n

	existing, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err == nil && existing.Size == size {
		return key, sha256hex, size, nil // already stored: keep it
	}
	if err != nil && !snsos.IsCode(s.opErr("stat", key, err), snsos.ENOTFOUND) {
		return "", "", 0, s.opErr("stat", key, err)
	}
	dst := minio.CopyDestOptions{Bucket: s.bucket, Object: key}
	src := minio.CopySrcOptions{Bucket: s.bucket, Object: tmp}
	if size <= s3MaxSingleCopy {
		_, err = s.client.CopyObject(ctx, dst, src)
	} else {
		_, err = s.client.ComposeObject(ctx, dst, src)
	}
	if err != nil {
		return "", "", 0, s.opErr("copy to", key, err)
	}
	return key, sha256hex, size, nil
}

// removeQuietly deletes a temporary object, even when ctx is cancelled.
func (s *S3) removeQuietly(ctx context.Context, key string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
}

// hashReader hashes and counts what is read through it, and keeps the
// first error other than io.EOF.
type hashReader struct {
	r   io.Reader
	h   hash.Hash
	n   int64
	eof bool
	err error
}

func (h *hashReader) Read(p []byte) (int, error) {
	if h.err != nil {
		return 0, h.err
	}
	if h.eof {
		return 0, io.EOF // never read past the end twice
	}
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	switch {
	case err == io.EOF:
		h.eof = true
	case err != nil:
		h.err = err
	}
	return n, err
}

// Open implements Store. The stream is an *S3Object: it implements
// io.ReaderAt and io.Seeker, and reads through ctx until it is closed.
func (s *S3) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := s.check(key); err != nil {
		return nil, err
	}
	info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return nil, s.opErr("open", key, err)
	}
	return &S3Object{s: s, ctx: ctx, key: key, size: info.Size, etag: info.ETag}, nil
}

// OpenRange returns a stream of length bytes of object key from offset
// (to the end when length < 0), in one ranged GET: for serving HTTP range
// requests. A range starting at or past the end is an EINVALID error.
func (s *S3) OpenRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := s.check(key); err != nil {
		return nil, err
	}
	if offset < 0 || length == 0 {
		return nil, snsos.Errorf(snsos.EINVALID, "media: bad range: offset %d, length %d", offset, length)
	}
	rc, _, err := s.get(ctx, key, offset, length, "")
	return rc, err
}

// get does a GET of length bytes from offset (to the end if length < 0),
// optionally only if the object still has etag.
func (s *S3) get(ctx context.Context, key string, offset, length int64, etag string) (io.ReadCloser, minio.ObjectInfo, error) {
	var opts minio.GetObjectOptions
	var err error
	switch {
	case length > 0:
		err = opts.SetRange(offset, offset+length-1)
	case offset > 0:
		err = opts.SetRange(offset, 0)
	}
	if err != nil {
		return nil, minio.ObjectInfo{}, snsos.WrapError(snsos.EINVALID, err, "bad range")
	}
	if etag != "" {
		if err := opts.SetMatchETag(etag); err != nil {
			return nil, minio.ObjectInfo{}, err
		}
	}
	rc, info, _, err := s.core.GetObject(ctx, s.bucket, key, opts)
	if err != nil {
		return nil, info, s.opErr("read", key, err)
	}
	return rc, info, nil
}

// Stat implements Store.
func (s *S3) Stat(ctx context.Context, key string) (int64, error) {
	if err := s.check(key); err != nil {
		return 0, err
	}
	info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return 0, s.opErr("stat", key, err)
	}
	return info.Size, nil
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := s.check(key); err != nil {
		return err
	}
	err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
	if err != nil && !snsos.IsCode(s.opErr("delete", key, err), snsos.ENOTFOUND) {
		return s.opErr("delete", key, err)
	}
	return nil
}

// Longest and shortest validity of a presigned link (the S3 limits).
const (
	MaxPresignExpiry = 7 * 24 * time.Hour
	MinPresignExpiry = time.Second
)

// PresignedGet returns a URL that lets anyone holding it GET object key
// until expires has passed (between MinPresignExpiry and MaxPresignExpiry;
// keep it short, minutes). It is computed locally (unless Region is empty,
// when minio-go asks the server once for the bucket's region). The object's
// existence is not checked.
func (s *S3) PresignedGet(ctx context.Context, key string, expires time.Duration) (string, error) {
	return s.PresignedGetAs(ctx, key, "", expires)
}

// PresignedGetAs is PresignedGet with the response's Content-Type set to
// contentType (the type the probe found) when it is not empty: objects are
// stored as application/octet-stream, and some fetchers check the type.
func (s *S3) PresignedGetAs(ctx context.Context, key, contentType string, expires time.Duration) (string, error) {
	if err := s.check(key); err != nil {
		return "", err
	}
	if expires < MinPresignExpiry || expires > MaxPresignExpiry {
		return "", snsos.Errorf(snsos.EINVALID, "media: a signed link must expire in 1s to 7 days, not %v", expires)
	}
	params := url.Values{}
	if contentType != "" {
		params.Set("response-content-type", contentType)
	}
	u, err := s.client.PresignedGetObject(ctx, s.bucket, key, expires, params)
	if err != nil {
		return "", s.opErr("presign", key, err)
	}
	return u.String(), nil
}
