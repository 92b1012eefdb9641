package lambdaapi

import (
	"net/url"
	"time"

	"github.com/abanico/abanico/internal/function"
)

// Responses, shaped as the restJson1 protocol returns them.

// functionConfiguration is the FunctionConfiguration shape: what
// GetFunctionConfiguration, CreateFunction and the updates return. The
// settings Abanico does not have are written as AWS shows their defaults.
type functionConfiguration struct {
	FunctionName     string               `json:"FunctionName"`
	FunctionArn      string               `json:"FunctionArn"`
	Runtime          string               `json:"Runtime,omitempty"`
	Role             string               `json:"Role"`
	Handler          string               `json:"Handler,omitempty"`
	CodeSize         int64                `json:"CodeSize"`
	Description      string               `json:"Description"`
	Timeout          int                  `json:"Timeout"`
	MemorySize       int                  `json:"MemorySize"`
	LastModified     string               `json:"LastModified"`
	CodeSha256       string               `json:"CodeSha256"`
	Version          string               `json:"Version"`
	Environment      *environmentResponse `json:"Environment,omitempty"`
	TracingConfig    tracingConfig        `json:"TracingConfig"`
	RevisionID       string               `json:"RevisionId"`
	State            string               `json:"State"`
	LastUpdateStatus string               `json:"LastUpdateStatus"`
	PackageType      string               `json:"PackageType"`
	Architectures    []string             `json:"Architectures"`
	EphemeralStorage ephemeralStorage     `json:"EphemeralStorage"`
	SnapStart        snapStart            `json:"SnapStart"`
	LoggingConfig    loggingConfig        `json:"LoggingConfig"`
}

type environmentResponse struct {
	Variables map[string]string `json:"Variables"`
}

type tracingConfig struct {
	Mode string `json:"Mode"`
}

type ephemeralStorage struct {
	Size int `json:"Size"`
}

type snapStart struct {
	ApplyOn            string `json:"ApplyOn"`
	OptimizationStatus string `json:"OptimizationStatus"`
}

type loggingConfig struct {
	LogFormat string `json:"LogFormat"`
	LogGroup  string `json:"LogGroup"`
}

// defaultArchitecture is the architecture of a function created without
// one.
const defaultArchitecture = "x86_64"

// configuration is the FunctionConfiguration of a function whose ARN is
// arn.
func configuration(cfg *function.Config, arn string) functionConfiguration {
	arch := cfg.Architecture
	if arch == "" {
		arch = defaultArchitecture
	}
	out := functionConfiguration{
		FunctionName:     cfg.Name,
		FunctionArn:      arn,
		Runtime:          cfg.Runtime,
		Role:             cfg.Role,
		Handler:          cfg.Handler,
		CodeSize:         cfg.CodeSize,
		Description:      cfg.Description,
		Timeout:          cfg.Timeout,
		MemorySize:       cfg.MemorySize,
		LastModified:     cfg.LastModified,
		CodeSha256:       cfg.CodeSha256,
		Version:          latest,
		TracingConfig:    tracingConfig{Mode: "PassThrough"},
		RevisionID:       cfg.RevisionID,
		State:            "Active",
		LastUpdateStatus: "Successful",
		PackageType:      "Zip",
		Architectures:    []string{arch},
		EphemeralStorage: ephemeralStorage{Size: 512},
		SnapStart:        snapStart{ApplyOn: "None", OptimizationStatus: "Off"},
		LoggingConfig:    loggingConfig{LogFormat: "Text", LogGroup: "/aws/lambda/" + cfg.Name},
	}
	if len(cfg.Environment) > 0 {
		out.Environment = &environmentResponse{Variables: cfg.Environment}
	}
	return out
}

// codeLocation is GetFunction's Code.
type codeLocation struct {
	RepositoryType string `json:"RepositoryType"`
	Location       string `json:"Location"`
}

// concurrency is a reservation (GetFunction's Concurrency, and the
// Put/GetFunctionConcurrency result); empty when there is none.
type concurrency struct {
	ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions,omitempty"`
}

type getFunctionOutput struct {
	Configuration functionConfiguration `json:"Configuration"`
	Code          codeLocation          `json:"Code"`
	Tags          map[string]string     `json:"Tags,omitempty"`
	Concurrency   *concurrency          `json:"Concurrency,omitempty"`
}

// codePath is the path Abanico serves a function's zip at.
func codePath(name string) string {
	return "/2015-03-31/functions/" + url.PathEscape(name) + "/code"
}

// getFunction is GetFunction's result for a function whose ARN is arn;
// its code is downloaded from under publicURL.
func getFunction(cfg *function.Config, arn, publicURL string) getFunctionOutput {
	out := getFunctionOutput{
		Configuration: configuration(cfg, arn),
		Code:          codeLocation{RepositoryType: "S3", Location: publicURL + codePath(cfg.Name)},
	}
	if len(cfg.Tags) > 0 {
		out.Tags = cfg.Tags
	}
	if cfg.ReservedConcurrency != nil {
		out.Concurrency = &concurrency{ReservedConcurrentExecutions: cfg.ReservedConcurrency}
	}
	return out
}

type listFunctionsOutput struct {
	Functions  []functionConfiguration `json:"Functions"`
	NextMarker string                  `json:"NextMarker,omitempty"`
}

// eventInvokeConfigOutput is the FunctionEventInvokeConfig shape.
type eventInvokeConfigOutput struct {
	FunctionArn              string  `json:"FunctionArn"`
	MaximumRetryAttempts     *int    `json:"MaximumRetryAttempts,omitempty"`
	MaximumEventAgeInSeconds *int    `json:"MaximumEventAgeInSeconds,omitempty"`
	LastModified             float64 `json:"LastModified"`
}

// lastModifiedLayout is how AWS writes a function's LastModified.
const lastModifiedLayout = "2006-01-02T15:04:05.000-0700"

// eventInvokeConfigOf is the event invoke configuration of a function whose
// ARN is arn: the function's $LATEST version is what it applies to. Its
// LastModified (epoch seconds) is the function's.
func eventInvokeConfigOf(cfg *function.Config, arn string) eventInvokeConfigOutput {
	t, err := time.Parse(lastModifiedLayout, cfg.LastModified)
	if err != nil {
		t = time.Now()
	}
	return eventInvokeConfigOutput{
		FunctionArn:              arn + ":" + latest,
		MaximumRetryAttempts:     cfg.MaximumRetryAttempts,
		MaximumEventAgeInSeconds: cfg.MaximumEventAgeInSeconds,
		LastModified:             float64(t.UnixMilli()) / 1000,
	}
}

type addPermissionOutput struct {
	Statement string `json:"Statement"`
}

type getPolicyOutput struct {
	Policy     string `json:"Policy"`
	RevisionID string `json:"RevisionId"`
}
