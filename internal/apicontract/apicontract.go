// Package apicontract checks the node's real answers against its OpenAPI
// document (ports/httpapi/openapi.json), so that tests fail when the API
// and its contract drift apart.
//
// The validator is pb33f/libopenapi-validator (on pb33f/libopenapi). It was
// written for OpenAPI 3.1 and validates schemas as JSON Schema 2020-12 (type
// arrays such as ["string","null"], const, oneOf), which the document uses
// to describe nullable fields and the PFN_API_COMPAT=original shapes.
// kin-openapi, the older choice, was built for 3.0 and gained 3.1 support
// only recently as an addition to its 3.0 model; libopenapi-validator also
// validates the document itself against the 3.1 meta-schema and reports
// each failure with the JSON path of the field, which makes a failing
// end-to-end test say which field broke the contract.
package apicontract

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"

	"github.com/pfn-network/pfn/ports/httpapi"
)

// shared is built once per test binary: parsing the document is the slow
// part, and the validators are safe for concurrent use (their caches are
// sync.Maps), which the parallel end-to-end tests need.
var shared = sync.OnceValues(func() (*Contract, error) { return New(httpapi.OpenAPI) })

// Contract is an OpenAPI document ready to check answers against.
type Contract struct {
	v validator.Validator
	// errorSchema is #/components/schemas/Error (nil when the document
	// has none): what the router's own 404 and 405 must send.
	errorSchema *base.Schema
	schemas     schema_validation.SchemaValidator
}

// New builds a contract from an OpenAPI document. Formats (date-time) are
// asserted, so a time sent in another shape fails too.
func New(doc []byte) (*Contract, error) {
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		return nil, fmt.Errorf("parse OpenAPI document: %w", err)
	}
	v, errs := validator.NewValidator(d, config.WithFormatAssertions())
	if len(errs) > 0 {
		return nil, fmt.Errorf("build OpenAPI model: %w", errors.Join(errs...))
	}
	c := &Contract{v: v, schemas: schema_validation.NewSchemaValidator(config.WithFormatAssertions())}
	// The model is built already (NewValidator did it); this reads it back.
	if m, err := d.BuildV3Model(); err == nil && m.Model.Components != nil && m.Model.Components.Schemas != nil {
		if proxy, ok := m.Model.Components.Schemas.Get("Error"); ok {
			c.errorSchema = proxy.Schema()
		}
	}
	return c, nil
}

// Document validates the node's document against the OpenAPI 3.1
// specification.
func Document() error {
	v, err := shared()
	if err != nil {
		return err
	}
	return validDocument(v.v)
}

// ValidDocument validates any document against the OpenAPI specification
// it names (3.0, 3.1 or 3.2).
func ValidDocument(doc []byte) error {
	c, err := New(doc)
	if err != nil {
		return err
	}
	return validDocument(c.v)
}

func validDocument(v validator.Validator) error {
	if ok, errs := v.ValidateDocument(); !ok {
		return describe(errs)
	}
	return nil
}

// Check validates one answer of the node against the node's document.
func Check(req *http.Request, resp *http.Response) error {
	c, err := shared()
	if err != nil {
		return err
	}
	return c.Check(req, resp)
}

// Check validates resp, the answer to req, against c's document: the
// route and method must be documented, the status must be one the
// operation lists, and a JSON body must match the status's schema. A JSON
// body is read and put back, so the caller can still read it; other bodies
// (downloads, NDJSON exports, HTML) are never read here, so streaming and
// cut connections behave as without the check.
//
// An undocumented route is accepted only when the node answered 404 or 405:
// that is the router refusing it, not a route the document lacks. Its body
// is still held to the document's Error schema, so the router's own
// refusals stay the JSON {"error": ...} every other failure sends.
func (c *Contract) Check(req *http.Request, resp *http.Response) error {
	shown := *resp
	shown.Body = http.NoBody
	if req.Method != http.MethodHead && isJSON(resp.Header.Get("Content-Type")) && resp.Body != nil {
		raw, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			// Give the caller the same failure it would have seen.
			resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(raw), failingReader{err}))
			return nil
		}
		resp.Body = io.NopCloser(bytes.NewReader(raw))
		shown.Body = io.NopCloser(bytes.NewReader(raw))
	}
	ok, errs := c.v.ValidateHttpResponse(req, &shown)
	if ok {
		return nil
	}
	if routeMissing(errs) && (resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed) {
		errs = c.routerRefusal(req, resp)
		if len(errs) == 0 {
			return nil
		}
	}
	return fmt.Errorf("%s %s answered %d: %w", req.Method, req.URL.Path, resp.StatusCode, describe(errs))
}

// routerRefusal checks the router's 404 or 405 for a route the document
// does not have against the Error schema. resp.Body has been read and put
// back when it is JSON; it is put back again here.
func (c *Contract) routerRefusal(req *http.Request, resp *http.Response) []*verrors.ValidationError {
	if req.Method == http.MethodHead {
		return nil // HEAD answers carry no body
	}
	refuse := func(reason string) []*verrors.ValidationError {
		return []*verrors.ValidationError{{Message: "the router's refusal is not the JSON Error body", Reason: reason}}
	}
	if !isJSON(resp.Header.Get("Content-Type")) {
		return refuse(fmt.Sprintf("Content-Type %q, want application/json", resp.Header.Get("Content-Type")))
	}
	if c.errorSchema == nil {
		return refuse("the document has no #/components/schemas/Error")
	}
	raw, _ := io.ReadAll(resp.Body) // a bytes.Reader put back by Check
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	if len(bytes.TrimSpace(raw)) == 0 {
		return refuse("no body; want {\"error\": ...}") // the schema validator passes an empty payload
	}
	if ok, errs := c.schemas.ValidateSchemaBytes(c.errorSchema, raw); !ok {
		return errs
	}
	return nil
}

// Transport wraps base (http.DefaultTransport when nil) so that every
// answer is checked against the node's document; a mismatch fails t with
// what did not match. The answer itself is passed on unchanged.
func Transport(t testing.TB, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return checkingTransport{t: t, base: base}
}

type checkingTransport struct {
	t    testing.TB
	base http.RoundTripper
}

func (c checkingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if cerr := Check(req, resp); cerr != nil {
		// Errorf, not Fatalf: RoundTrip may run outside the test's goroutine.
		c.t.Errorf("answer breaks the API contract (ports/httpapi/openapi.json): %v", cerr)
	}
	return resp, nil
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

func routeMissing(errs []*verrors.ValidationError) bool {
	for _, e := range errs {
		if e.IsPathMissingError() || e.IsOperationMissingError() {
			return true
		}
	}
	return false
}

// describe lists every failure with the field it concerns.
func describe(errs []*verrors.ValidationError) error {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "\n  - %s: %s", e.Message, e.Reason)
		for _, s := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "\n      %s: %s", cmp.Or(s.FieldPath, "$"), s.Reason)
		}
	}
	return errors.New(b.String())
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }
