package lambdaapi

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/abanico/abanico/internal/function"
)

// Each operation decodes its request, calls the service and writes its
// response; a returned error is written by the route (the operation has
// written nothing then).

func (h *Handler) createFunction(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r, MaxCodeRequestBytes, "CreateFunction")
	if err != nil {
		return err
	}
	in, err := decodeCreate(body)
	if err != nil {
		return err
	}
	cfg, err := h.svc.Create(r.Context(), in)
	if err != nil {
		return fmt.Errorf("create function %q: %w", in.Name, err)
	}
	return writeJSON(w, http.StatusCreated, configuration(cfg, h.svc.FunctionArn(cfg.Name)))
}

func (h *Handler) listFunctions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if v := q.Get("FunctionVersion"); v != "" && v != "ALL" {
		return invalid("Value %q at 'functionVersion' failed to satisfy constraint: Member must satisfy enum value set: [ALL].", v)
	}
	maxItems, err := parseMaxItems(q.Get("MaxItems"))
	if err != nil {
		return err
	}
	after := ""
	if m := q.Get("Marker"); m != "" {
		if after, err = decodeMarker(m); err != nil {
			return err
		}
	}
	page, next := listPage(h.svc.List(), after, maxItems)
	out := listFunctionsOutput{Functions: make([]functionConfiguration, 0, len(page)), NextMarker: next}
	for _, cfg := range page {
		out.Functions = append(out.Functions, configuration(cfg, h.svc.FunctionArn(cfg.Name)))
	}
	return writeJSON(w, http.StatusOK, out)
}

// get returns the function a request names.
func (h *Handler) get(r *http.Request) (*function.Config, error) {
	name, err := h.functionName(r)
	if err != nil {
		return nil, err
	}
	cfg, err := h.svc.Get(name)
	if err != nil {
		return nil, fmt.Errorf("get function %q: %w", name, err)
	}
	return cfg, nil
}

func (h *Handler) getFunction(w http.ResponseWriter, r *http.Request) error {
	cfg, err := h.get(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, getFunction(cfg, h.svc.FunctionArn(cfg.Name), h.publicURL))
}

func (h *Handler) getFunctionConfiguration(w http.ResponseWriter, r *http.Request) error {
	cfg, err := h.get(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, configuration(cfg, h.svc.FunctionArn(cfg.Name)))
}

func (h *Handler) getFunctionCode(w http.ResponseWriter, r *http.Request) error {
	name, err := h.functionName(r)
	if err != nil {
		return err
	}
	code, err := h.svc.Code(r.Context(), name)
	if err != nil {
		return fmt.Errorf("read code of %q: %w", name, err)
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Length", strconv.Itoa(len(code)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(code)
	return nil
}

func (h *Handler) deleteFunction(w http.ResponseWriter, r *http.Request) error {
	name, err := h.functionName(r)
	if err != nil {
		return err
	}
	if err := h.svc.Delete(r.Context(), name); err != nil {
		return fmt.Errorf("delete function %q: %w", name, err)
	}
	return writeNoContent(w)
}

// errRevisionMismatch is the PreconditionFailedException of a stale
// RevisionId.
var errRevisionMismatch = &function.Error{Code: function.CodePreconditionFailed,
	Message: "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"}

func (h *Handler) updateFunctionCode(w http.ResponseWriter, r *http.Request) error {
	name, err := h.functionName(r)
	if err != nil {
		return err
	}
	body, err := readBody(r, MaxCodeRequestBytes, "UpdateFunctionCode")
	if err != nil {
		return err
	}
	req, err := decodeUpdateCode(body)
	if err != nil {
		return err
	}
	var cfg *function.Config
	if req.DryRun {
		// Validate only: the archive must open and the revision match.
		if _, err := zip.NewReader(bytes.NewReader(req.ZipFile), int64(len(req.ZipFile))); err != nil {
			return invalid("Could not unzip uploaded file. Please check your file, then try to upload again.")
		}
		if cfg, err = h.svc.Get(name); err != nil {
			return fmt.Errorf("get function %q: %w", name, err)
		}
		if req.RevisionID != "" && req.RevisionID != cfg.RevisionID {
			return errRevisionMismatch
		}
	} else if cfg, err = h.svc.UpdateCode(r.Context(), name, req.ZipFile, req.RevisionID); err != nil {
		return fmt.Errorf("update code of %q: %w", name, err)
	}
	return writeJSON(w, http.StatusOK, configuration(cfg, h.svc.FunctionArn(cfg.Name)))
}

func (h *Handler) updateFunctionConfiguration(w http.ResponseWriter, r *http.Request) error {
	name, err := h.functionName(r)
	if err != nil {
		return err
	}
	body, err := readBody(r, MaxRequestBytes, "UpdateFunctionConfiguration")
	if err != nil {
		return err
	}
	in, err := decodeUpdateConfig(body)
	if err != nil {
		return err
	}
	cfg, err := h.svc.UpdateConfiguration(r.Context(), name, in)
	if err != nil {
		return fmt.Errorf("update configuration of %q: %w", name, err)
	}
	return writeJSON(w, http.StatusOK, configuration(cfg, h.svc.FunctionArn(cfg.Name)))
}

// Throttling reasons (TooManyRequestsException's Reason).
const (
	reasonConcurrentLimit         = "ConcurrentInvocationLimitExceeded"
	reasonReservedConcurrentLimit = "ReservedFunctionConcurrentInvocationLimitExceeded"
)

func (h *Handler) invoke(w http.ResponseWriter, r *http.Request) error {
	name, err := h.functionName(r)
	if err != nil {
		return err
	}
	in, err := parseInvokeHeaders(r.Header)
	if err != nil {
		return err
	}
	limit := int64(MaxSyncPayloadBytes)
	if in.Type == function.InvokeEvent {
		limit = MaxEventPayloadBytes
	}
	if in.Payload, err = readBody(r, limit, "InvokeFunction"); err != nil {
		return err
	}
	if err := checkPayload(in.Payload); err != nil {
		return err
	}
	out, err := h.svc.Invoke(r.Context(), name, in)
	if err != nil {
		return h.throttleReason(name, fmt.Errorf("invoke %q: %w", name, err))
	}
	writeInvokeOutput(w, in, out)
	return nil
}

// throttleReason gives a TooManyRequestsException of an invocation its
// Reason: the function's reservation when it has one, else the account's
// concurrency.
func (h *Handler) throttleReason(name string, err error) error {
	var fe *function.Error
	if !errors.As(err, &fe) || fe.Code != function.CodeTooManyRequests {
		return err
	}
	reason := reasonConcurrentLimit
	if cfg, gerr := h.svc.Get(name); gerr == nil && cfg.ReservedConcurrency != nil {
		reason = reasonReservedConcurrentLimit
	}
	return &reasonError{reason: reason, err: err}
}

// writeInvokeOutput writes an invocation's result: the status code, the
// function's response as the body, and the headers that describe it.
func writeInvokeOutput(w http.ResponseWriter, in function.InvokeInput, out *function.InvokeOutput) {
	status := out.StatusCode
	if status == 0 {
		switch in.Type {
		case function.InvokeEvent:
			status = http.StatusAccepted
		case function.InvokeDryRun:
			status = http.StatusNoContent
		default:
			status = http.StatusOK
		}
	}
	hdr := w.Header()
	if out.RequestID != "" {
		hdr.Set(requestIDHeader, out.RequestID)
	}
	version := out.ExecutedVersion
	if version == "" && status == http.StatusOK {
		version = latest
	}
	if version != "" {
		hdr.Set("X-Amz-Executed-Version", version)
	}
	if out.FunctionError != "" {
		hdr.Set("X-Amz-Function-Error", out.FunctionError)
	}
	if in.LogTail && out.LogResult != "" {
		hdr.Set("X-Amz-Log-Result", out.LogResult)
	}
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	hdr.Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(out.Payload)
}

func (h *Handler) putFunctionConcurrency(w http.ResponseWriter, r *http.Request) error {
	name, err := h.functionName(r)
	if err != nil {
		return err
	}
	body, err := readBody(r, MaxRequestBytes, "PutFunctionConcurrency")
	if err != nil {
		return err
	}
	n, err := decodeConcurrency(body)
	if err != nil {
		return err
	}
	if err := h.svc.PutConcurrency(r.Context(), name, n); err != nil {
		return fmt.Errorf("put concurrency of %q: %w", name, err)
	}
	return writeJSON(w, http.StatusOK, concurrency{ReservedConcurrentExecutions: &n})
}

func (h *Handler) getFunctionConcurrency(w http.ResponseWriter, r *http.Request) error {
	cfg, err := h.get(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, concurrency{ReservedConcurrentExecutions: cfg.ReservedConcurrency})
}

func (h *Handler) deleteFunctionConcurrency(w http.ResponseWriter, r *http.Request) error {
	name, err := h.functionName(r)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteConcurrency(r.Context(), name); err != nil {
		return fmt.Errorf("delete concurrency of %q: %w", name, err)
	}
	return writeNoContent(w)
}

// Defaults of the asynchronous invocation settings, which
// PutFunctionEventInvokeConfig restores for the settings it omits.
const (
	defaultRetryAttempts = 2
	defaultEventAge      = 21600
)

// putEventInvokeConfig replaces the asynchronous invocation settings:
// the ones omitted return to their defaults.
func (h *Handler) putEventInvokeConfig(w http.ResponseWriter, r *http.Request) error {
	return h.eventInvokeConfig(w, r, "PutFunctionEventInvokeConfig", true)
}

// updateEventInvokeConfig changes the asynchronous invocation settings
// given and leaves the others.
func (h *Handler) updateEventInvokeConfig(w http.ResponseWriter, r *http.Request) error {
	return h.eventInvokeConfig(w, r, "UpdateFunctionEventInvokeConfig", false)
}

func (h *Handler) eventInvokeConfig(w http.ResponseWriter, r *http.Request, op string, replace bool) error {
	name, err := h.functionName(r)
	if err != nil {
		return err
	}
	body, err := readBody(r, MaxRequestBytes, op)
	if err != nil {
		return err
	}
	req, err := decodeEventInvokeConfig(body)
	if err != nil {
		return err
	}
	if replace {
		if req.MaximumRetryAttempts == nil {
			req.MaximumRetryAttempts = new(defaultRetryAttempts)
		}
		if req.MaximumEventAgeInSeconds == nil {
			req.MaximumEventAgeInSeconds = new(defaultEventAge)
		}
	}
	cfg, err := h.svc.PutEventInvokeConfig(r.Context(), name, req.MaximumRetryAttempts, req.MaximumEventAgeInSeconds)
	if err != nil {
		return fmt.Errorf("put event invoke config of %q: %w", name, err)
	}
	return writeJSON(w, http.StatusOK, eventInvokeConfigOf(cfg, h.svc.FunctionArn(cfg.Name)))
}

func (h *Handler) getEventInvokeConfig(w http.ResponseWriter, r *http.Request) error {
	cfg, err := h.get(r)
	if err != nil {
		return err
	}
	arn := h.svc.FunctionArn(cfg.Name)
	if cfg.MaximumRetryAttempts == nil && cfg.MaximumEventAgeInSeconds == nil {
		return &function.Error{Code: function.CodeResourceNotFound,
			Message: "The function " + arn + ":" + latest + " doesn't have an EventInvokeConfig"}
	}
	return writeJSON(w, http.StatusOK, eventInvokeConfigOf(cfg, arn))
}

func (h *Handler) addPermission(w http.ResponseWriter, r *http.Request) error {
	name, err := h.functionName(r)
	if err != nil {
		return err
	}
	body, err := readBody(r, MaxRequestBytes, "AddPermission")
	if err != nil {
		return err
	}
	st, revision, err := decodeAddPermission(body)
	if err != nil {
		return err
	}
	statement, err := h.svc.AddPermission(r.Context(), name, st, revision)
	if err != nil {
		return fmt.Errorf("add permission %q to %q: %w", st.Sid, name, err)
	}
	return writeJSON(w, http.StatusCreated, addPermissionOutput{Statement: statement})
}

func (h *Handler) removePermission(w http.ResponseWriter, r *http.Request) error {
	name, err := h.functionName(r)
	if err != nil {
		return err
	}
	sid := r.PathValue("StatementId")
	if err := h.svc.RemovePermission(r.Context(), name, sid, r.URL.Query().Get("RevisionId")); err != nil {
		return fmt.Errorf("remove permission %q from %q: %w", sid, name, err)
	}
	return writeNoContent(w)
}

func (h *Handler) getPolicy(w http.ResponseWriter, r *http.Request) error {
	name, err := h.functionName(r)
	if err != nil {
		return err
	}
	policy, revision, err := h.svc.Policy(name)
	if err != nil {
		return fmt.Errorf("get policy of %q: %w", name, err)
	}
	return writeJSON(w, http.StatusOK, getPolicyOutput{Policy: policy, RevisionID: revision})
}
