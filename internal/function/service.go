package function

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/abanico/abanico/internal/engine"
	"github.com/abanico/abanico/internal/lambdaruntime"
	"github.com/abanico/abanico/internal/registry"
	"github.com/abanico/abanico/internal/uuid"
)

// Options configure a Service.
type Options struct {
	Region    string
	AccountID string
	// DataDir holds each node's unpacked code (DataDir/functions).
	DataDir string
	// MaxConcurrency caps concurrent invocations of a function without a
	// reservation (default 32).
	MaxConcurrency int
	// AsyncConcurrency bounds the queued (Event) invocations a node runs
	// at once per function (default 4).
	AsyncConcurrency int
	Logger           *slog.Logger
	Now              func() time.Time
}

const (
	configBucket = "abanico_functions"
	codeBucket   = "abanico_function_code"
	asyncStream  = "ABANICO_FN"
	asyncSubject = "abf"
	// MaxZipSize is the largest code archive accepted (AWS: 50 MB zipped).
	MaxZipSize = 50 << 20
)

// Service is the function engine shared by every front end.
type Service struct {
	eng    *engine.Engine
	js     jetstream.JetStream
	opts   Options
	log    *slog.Logger
	now    func() time.Time
	fns    *registry.Registry[Config]
	code   jetstream.ObjectStore
	runner *lambdaruntime.Runner
	writer *engine.Writer

	unpackMu sync.Mutex

	amu     sync.Mutex
	async   map[string]*asyncWorker
	started bool
	stop    chan struct{}
}

// New opens the function service.
func New(ctx context.Context, eng *engine.Engine, opts Options) (*Service, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxConcurrency <= 0 {
		opts.MaxConcurrency = 32
	}
	if opts.AsyncConcurrency <= 0 {
		opts.AsyncConcurrency = 4
	}
	s := &Service{eng: eng, js: eng.JetStream(), opts: opts, log: opts.Logger, now: opts.Now,
		async: map[string]*asyncWorker{}, stop: make(chan struct{})}
	var err error
	s.code, err = s.js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket: codeBucket, Storage: jetstream.FileStorage, Replicas: eng.Replicas(),
	})
	if err != nil {
		return nil, fmt.Errorf("open code store: %w", err)
	}
	if _, err := s.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: asyncStream, Subjects: []string{asyncSubject + ".>"}, Retention: jetstream.WorkQueuePolicy,
		Storage: jetstream.FileStorage, Replicas: eng.Replicas(), MaxMsgSize: 1 << 20,
	}); err != nil {
		return nil, fmt.Errorf("create stream %s: %w", asyncStream, err)
	}
	if s.writer, err = eng.NewWriter(asyncStream); err != nil {
		return nil, err
	}
	s.runner = lambdaruntime.NewRunner(lambdaruntime.Options{Logger: s.log, MaxConcurrency: opts.MaxConcurrency})
	if s.fns, err = registry.Open[Config](ctx, eng, configBucket, s.log, s.changed); err != nil {
		return nil, err
	}
	s.amu.Lock()
	s.started = true
	s.amu.Unlock()
	for _, c := range s.fns.List("") {
		s.changed(c.Name, c)
	}
	return s, nil
}

// Close stops the queued-invocation workers and every function process.
func (s *Service) Close() {
	close(s.stop)
	s.amu.Lock()
	ws := s.async
	s.async = map[string]*asyncWorker{}
	s.started = false
	s.amu.Unlock()
	for _, w := range ws {
		w.stop()
	}
	s.runner.Close()
	s.fns.Close()
	s.writer.Close()
}

// changed keeps processes and queued-invocation workers in step with the
// definitions, changed on any node.
func (s *Service) changed(name string, c *Config) {
	s.runner.Retire(name)
	s.amu.Lock()
	defer s.amu.Unlock()
	if !s.started {
		return
	}
	w := s.async[name]
	if c == nil {
		if w != nil {
			delete(s.async, name)
			go w.stop()
		}
		return
	}
	if w == nil {
		s.async[name] = s.startAsync(name)
	}
}

// FunctionArn returns a function's ARN.
func (s *Service) FunctionArn(name string) string {
	return "arn:aws:lambda:" + s.opts.Region + ":" + s.opts.AccountID + ":function:" + name
}

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// resolve turns a name, ARN or partial ARN (ACCOUNT:function:NAME) into a
// function name.
func (s *Service) resolve(nameOrArn string) (string, *Error) {
	n := nameOrArn
	if strings.HasPrefix(n, "arn:") {
		p := strings.Split(n, ":")
		if len(p) < 7 || p[2] != "lambda" || p[5] != "function" {
			return "", invalid("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint", nameOrArn)
		}
		if p[3] != s.opts.Region || p[4] != s.opts.AccountID {
			return "", errorf(CodeResourceNotFound, "Function not found: %s", nameOrArn)
		}
		if len(p) == 8 && p[7] != "$LATEST" {
			return "", errorf(CodeResourceNotFound, "Function not found: %s", nameOrArn)
		}
		n = p[6]
	} else if p := strings.Split(n, ":"); len(p) == 3 && p[1] == "function" {
		n = p[2]
	}
	if !nameRE.MatchString(n) {
		return "", invalid("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?", nameOrArn)
	}
	return n, nil
}

// Get returns a function by name, ARN or partial ARN.
func (s *Service) Get(nameOrArn string) (*Config, error) {
	name, e := s.resolve(nameOrArn)
	if e != nil {
		return nil, e
	}
	c, _, ok := s.fns.Get(name)
	if !ok {
		return nil, errorf(CodeResourceNotFound, "Function not found: %s", s.FunctionArn(name))
	}
	return c.clone(), nil
}

// List returns every function sorted by name.
func (s *Service) List() []*Config {
	out := s.fns.List("")
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (c *Config) clone() *Config {
	cp := *c
	cp.Environment = cloneMap(c.Environment)
	cp.Tags = cloneMap(c.Tags)
	cp.Policy = append([]Statement(nil), c.Policy...)
	return &cp
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (s *Service) lastModified() string {
	return s.now().UTC().Format("2006-01-02T15:04:05.000+0000")
}

var reservedEnv = map[string]bool{
	"_HANDLER": true, "AWS_REGION": true, "AWS_DEFAULT_REGION": true, "AWS_EXECUTION_ENV": true,
	"AWS_LAMBDA_FUNCTION_NAME": true, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true, "AWS_LAMBDA_FUNCTION_VERSION": true,
	"AWS_LAMBDA_LOG_GROUP_NAME": true, "AWS_LAMBDA_LOG_STREAM_NAME": true, "AWS_ACCESS_KEY_ID": true,
	"AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true, "AWS_LAMBDA_RUNTIME_API": true,
	"LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true,
}

// validate checks the settings AWS checks.
func validateSettings(c *Config) *Error {
	if c.Timeout < 1 || c.Timeout > 900 {
		return invalid("1 validation error detected: Value '%d' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900", c.Timeout)
	}
	if c.MemorySize < 128 || c.MemorySize > 10240 {
		return invalid("1 validation error detected: Value '%d' at 'memorySize' failed to satisfy constraint: Member must have value between 128 and 10240", c.MemorySize)
	}
	if !strings.HasPrefix(c.Runtime, "provided") {
		return invalid("Runtime %q is not supported: functions run as local processes, so only the custom runtimes (provided.al2023, provided.al2) can be used", c.Runtime)
	}
	if c.Role == "" || !strings.HasPrefix(c.Role, "arn:") {
		return invalid("1 validation error detected: Value '%s' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+", c.Role)
	}
	if len(c.Description) > 256 {
		return invalid("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 256")
	}
	size := 0
	for k, v := range c.Environment {
		if reservedEnv[k] {
			return invalid("Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: %s", k)
		}
		size += len(k) + len(v)
	}
	if size > 4096 {
		return invalid("Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit.")
	}
	switch c.Architecture {
	case "x86_64", "arm64":
	default:
		return invalid("1 validation error detected: Value '[%s]' at 'architectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]", c.Architecture)
	}
	return nil
}

// checkZip requires a readable zip with a bootstrap at its root.
func checkZip(b []byte) *Error {
	if len(b) == 0 {
		return invalid("Uploaded file must be a non-empty zip")
	}
	if len(b) > MaxZipSize {
		return errorf(CodeRequestTooLarge, "Request must be smaller than %d bytes for the CreateFunction operation", MaxZipSize)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return invalid("Could not unzip uploaded file. Please check your file, then try to upload again.")
	}
	for _, f := range zr.File {
		if f.Name == "bootstrap" && !f.FileInfo().IsDir() {
			return nil
		}
	}
	return invalid("The zip file has no executable named bootstrap at its root: custom runtimes (provided.al2023, provided.al2) start ./bootstrap")
}

func codeID(b []byte) (hexSum, b64Sum string) {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), base64.StdEncoding.EncodeToString(sum[:])
}

func objectName(name, hexSum string) string { return name + "/" + hexSum }

// putCode stores a code archive durably.
func (s *Service) putCode(ctx context.Context, name string, zipFile []byte) (string, string, error) {
	hexSum, b64 := codeID(zipFile)
	if _, err := s.code.PutBytes(ctx, objectName(name, hexSum), zipFile); err != nil {
		return "", "", fmt.Errorf("store code of %s: %w", name, err)
	}
	if err := s.eng.SyncStream("OBJ_" + codeBucket); err != nil {
		return "", "", err
	}
	return hexSum, b64, nil
}

func hexOf(b64 string) string {
	b, _ := base64.StdEncoding.DecodeString(b64)
	return hex.EncodeToString(b)
}

// Create stores a new function (CreateFunction).
func (s *Service) Create(ctx context.Context, in CreateInput) (*Config, error) {
	if !nameRE.MatchString(in.Name) {
		return nil, invalid("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+", in.Name)
	}
	c := &Config{Name: in.Name, Runtime: in.Runtime, Handler: in.Handler, Role: in.Role, Description: in.Description,
		Timeout: 3, MemorySize: 128, Environment: cloneMap(in.Environment), Tags: cloneMap(in.Tags), Architecture: in.Architecture,
		RevisionID: uuid.New(), LastModified: s.lastModified(), Created: s.now().Unix()}
	if c.Architecture == "" {
		c.Architecture = "x86_64"
	}
	if in.Timeout != nil {
		c.Timeout = *in.Timeout
	}
	if in.MemorySize != nil {
		c.MemorySize = *in.MemorySize
	}
	if e := validateSettings(c); e != nil {
		return nil, e
	}
	if e := checkZip(in.ZipFile); e != nil {
		return nil, e
	}
	if _, _, ok := s.fns.Get(in.Name); ok {
		return nil, errorf(CodeResourceConflict, "Function already exist: %s", in.Name)
	}
	hexSum, b64, err := s.putCode(ctx, in.Name, in.ZipFile)
	if err != nil {
		return nil, internal(err)
	}
	c.CodeSha256, c.CodeSize = b64, int64(len(in.ZipFile))
	if err := s.ensureAsyncCursor(ctx, in.Name); err != nil {
		return nil, internal(err)
	}
	if err := s.fns.Create(ctx, in.Name, c); err != nil {
		if errors.Is(err, registry.ErrExists) {
			return nil, errorf(CodeResourceConflict, "Function already exist: %s", in.Name)
		}
		_ = s.code.Delete(ctx, objectName(in.Name, hexSum))
		return nil, internal(err)
	}
	s.log.Info("function created", "function", in.Name)
	return c.clone(), nil
}

// modify applies fn to the stored definition, checking revisionID when set.
func (s *Service) modify(ctx context.Context, nameOrArn, revisionID string, fn func(*Config) *Error) (*Config, error) {
	name, e := s.resolve(nameOrArn)
	if e != nil {
		return nil, e
	}
	v, err := s.fns.Modify(ctx, name, (*Config).clone, func(c *Config) error {
		if revisionID != "" && revisionID != c.RevisionID {
			return errorf(CodePreconditionFailed, "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
		}
		if e := fn(c); e != nil {
			return e
		}
		c.RevisionID = uuid.New()
		c.LastModified = s.lastModified()
		return nil
	})
	if errors.Is(err, registry.ErrNotFound) {
		return nil, errorf(CodeResourceNotFound, "Function not found: %s", s.FunctionArn(name))
	}
	var fe *Error
	if errors.As(err, &fe) {
		return nil, fe
	}
	if err != nil {
		return nil, internal(err)
	}
	return v.clone(), nil
}

// Code returns a function's zip archive.
func (s *Service) Code(ctx context.Context, nameOrArn string) ([]byte, error) {
	c, err := s.Get(nameOrArn)
	if err != nil {
		return nil, err
	}
	b, err := s.code.GetBytes(ctx, objectName(c.Name, hexOf(c.CodeSha256)))
	if err != nil {
		return nil, internal(fmt.Errorf("read code of %s: %w", c.Name, err))
	}
	return b, nil
}

// UpdateCode replaces a function's code (revisionID, when set, must match).
func (s *Service) UpdateCode(ctx context.Context, nameOrArn string, zipFile []byte, revisionID string) (*Config, error) {
	old, err := s.Get(nameOrArn)
	if err != nil {
		return nil, err
	}
	if e := checkZip(zipFile); e != nil {
		return nil, e
	}
	hexSum, b64, err := s.putCode(ctx, old.Name, zipFile)
	if err != nil {
		return nil, internal(err)
	}
	c, err := s.modify(ctx, nameOrArn, revisionID, func(c *Config) *Error {
		c.CodeSha256, c.CodeSize = b64, int64(len(zipFile))
		return nil
	})
	if err != nil {
		return nil, err
	}
	if oldHex := hexOf(old.CodeSha256); oldHex != hexSum {
		_ = s.code.Delete(ctx, objectName(old.Name, oldHex))
	}
	return c, nil
}

// UpdateConfiguration changes a function's configuration.
func (s *Service) UpdateConfiguration(ctx context.Context, nameOrArn string, in UpdateConfigInput) (*Config, error) {
	return s.modify(ctx, nameOrArn, in.RevisionID, func(c *Config) *Error {
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&c.Runtime, in.Runtime)
		set(&c.Handler, in.Handler)
		set(&c.Role, in.Role)
		set(&c.Description, in.Description)
		if in.Timeout != nil {
			c.Timeout = *in.Timeout
		}
		if in.MemorySize != nil {
			c.MemorySize = *in.MemorySize
		}
		if in.Environment != nil {
			c.Environment = cloneMap(in.Environment)
		}
		return validateSettings(c)
	})
}

// Delete deletes a function, its code and its queued invocations.
func (s *Service) Delete(ctx context.Context, nameOrArn string) error {
	c, err := s.Get(nameOrArn)
	if err != nil {
		return err
	}
	if err := s.fns.Delete(ctx, c.Name); err != nil {
		return internal(err)
	}
	_ = s.code.Delete(ctx, objectName(c.Name, hexOf(c.CodeSha256)))
	_ = s.js.DeleteConsumer(ctx, asyncStream, asyncConsumer(c.Name))
	if st, err := s.js.Stream(ctx, asyncStream); err == nil {
		_ = st.Purge(ctx, jetstream.WithPurgeSubject(asyncSubject+"."+c.Name))
	}
	_ = os.RemoveAll(filepath.Join(s.opts.DataDir, "functions", c.Name))
	s.log.Info("function deleted", "function", c.Name)
	return nil
}

// PutConcurrency reserves n concurrent executions (0 throttles every
// invocation).
func (s *Service) PutConcurrency(ctx context.Context, nameOrArn string, n int) error {
	if n < 0 || n > 1000 {
		return invalid("1 validation error detected: Value '%d' at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must have value between 0 and 1000", n)
	}
	_, err := s.modify(ctx, nameOrArn, "", func(c *Config) *Error {
		c.ReservedConcurrency = &n
		return nil
	})
	return err
}

// DeleteConcurrency removes the reservation.
func (s *Service) DeleteConcurrency(ctx context.Context, nameOrArn string) error {
	_, err := s.modify(ctx, nameOrArn, "", func(c *Config) *Error {
		c.ReservedConcurrency = nil
		return nil
	})
	return err
}

// PutEventInvokeConfig sets the asynchronous retry attempts (0-2) and the
// maximum event age (60-21600 s); nil leaves a setting unchanged.
func (s *Service) PutEventInvokeConfig(ctx context.Context, nameOrArn string, maxRetry, maxAge *int) (*Config, error) {
	if maxRetry != nil && (*maxRetry < 0 || *maxRetry > 2) {
		return nil, invalid("1 validation error detected: Value '%d' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 2", *maxRetry)
	}
	if maxAge != nil && (*maxAge < 60 || *maxAge > 21600) {
		return nil, invalid("1 validation error detected: Value '%d' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value between 60 and 21600", *maxAge)
	}
	return s.modify(ctx, nameOrArn, "", func(c *Config) *Error {
		if maxRetry != nil {
			c.MaximumRetryAttempts = maxRetry
		}
		if maxAge != nil {
			c.MaximumEventAgeInSeconds = maxAge
		}
		return nil
	})
}

func (s *Service) statementJSON(c *Config, st Statement) string {
	doc := map[string]any{"Sid": st.Sid, "Effect": "Allow", "Action": st.Action,
		"Resource": s.FunctionArn(c.Name)}
	if strings.Contains(st.Principal, ".") {
		doc["Principal"] = map[string]string{"Service": st.Principal}
	} else {
		doc["Principal"] = map[string]string{"AWS": st.Principal}
	}
	cond := map[string]any{}
	if st.SourceArn != "" {
		cond["ArnLike"] = map[string]string{"AWS:SourceArn": st.SourceArn}
	}
	if st.SourceAccount != "" {
		cond["StringEquals"] = map[string]string{"AWS:SourceAccount": st.SourceAccount}
	}
	if len(cond) > 0 {
		doc["Condition"] = cond
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

// AddPermission records a policy statement and returns it as JSON;
// ResourceConflictException when the Sid exists.
func (s *Service) AddPermission(ctx context.Context, nameOrArn string, st Statement, revisionID string) (string, error) {
	if st.Sid == "" || st.Action == "" || st.Principal == "" {
		return "", invalid("StatementId, Action and Principal are required")
	}
	c, err := s.modify(ctx, nameOrArn, revisionID, func(c *Config) *Error {
		for _, p := range c.Policy {
			if p.Sid == st.Sid {
				return errorf(CodeResourceConflict, "The statement id (%s) provided already exists. Please provide a new statement id, or remove the existing statement.", st.Sid)
			}
		}
		c.Policy = append(c.Policy, st)
		return nil
	})
	if err != nil {
		return "", err
	}
	return s.statementJSON(c, st), nil
}

// RemovePermission removes a statement by Sid.
func (s *Service) RemovePermission(ctx context.Context, nameOrArn, sid, revisionID string) error {
	_, err := s.modify(ctx, nameOrArn, revisionID, func(c *Config) *Error {
		for i, p := range c.Policy {
			if p.Sid == sid {
				c.Policy = append(c.Policy[:i], c.Policy[i+1:]...)
				return nil
			}
		}
		return errorf(CodeResourceNotFound, "Statement %s is not found in resource policy.", sid)
	})
	return err
}

// Policy returns the function's resource policy document (JSON) and its
// revision; ResourceNotFoundException when it has no statements.
func (s *Service) Policy(nameOrArn string) (string, string, error) {
	c, err := s.Get(nameOrArn)
	if err != nil {
		return "", "", err
	}
	if len(c.Policy) == 0 {
		return "", "", errorf(CodeResourceNotFound, "The resource you requested does not exist.")
	}
	var stmts []json.RawMessage
	for _, st := range c.Policy {
		stmts = append(stmts, json.RawMessage(s.statementJSON(c, st)))
	}
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Id": "default", "Statement": stmts})
	return string(b), c.RevisionID, nil
}

// Logs returns the tail of the function's captured log (at most n bytes).
func (s *Service) Logs(nameOrArn string, n int) ([]byte, error) {
	c, err := s.Get(nameOrArn)
	if err != nil {
		return nil, err
	}
	return s.runner.Logs(c.Name, n), nil
}

// codeDir returns the function's unpacked code on this node, unpacking it
// from the code store the first time.
func (s *Service) codeDir(ctx context.Context, c *Config) (string, error) {
	dir := filepath.Join(s.opts.DataDir, "functions", c.Name, hexOf(c.CodeSha256))
	if _, err := os.Stat(filepath.Join(dir, "bootstrap")); err == nil {
		return dir, nil
	}
	s.unpackMu.Lock()
	defer s.unpackMu.Unlock()
	if _, err := os.Stat(filepath.Join(dir, "bootstrap")); err == nil {
		return dir, nil
	}
	b, err := s.code.GetBytes(ctx, objectName(c.Name, hexOf(c.CodeSha256)))
	if err != nil {
		return "", fmt.Errorf("read code of %s: %w", c.Name, err)
	}
	tmp := dir + ".tmp"
	_ = os.RemoveAll(tmp)
	if err := unzip(b, tmp); err != nil {
		return "", fmt.Errorf("unpack code of %s: %w", c.Name, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", fmt.Errorf("unpack code of %s: %w", c.Name, err)
	}
	return dir, nil
}

// unzip extracts an archive into dir, refusing paths that leave it; the
// bootstrap is made executable.
func unzip(b []byte, dir string) error {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return err
	}
	for _, f := range zr.File {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if !strings.HasPrefix(p, filepath.Clean(dir)+string(os.PathSeparator)) {
			return fmt.Errorf("zip entry %q leaves the code directory", f.Name)
		}
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		mode := f.Mode().Perm() | 0o400
		if f.Name == "bootstrap" {
			mode |= 0o755
		}
		rc, err := f.Open()
		if err != nil {
			return err
		}
		out, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
		if err != nil {
			rc.Close()
			return err
		}
		_, err = io.Copy(out, io.LimitReader(rc, 1<<30))
		rc.Close()
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}
