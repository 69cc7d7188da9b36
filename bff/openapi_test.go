package bff_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	"github.com/ecard/ecard/bff"
	"github.com/ecard/ecard/docs"
	"github.com/ecard/ecard/internal/codes"
	"github.com/ecard/ecard/internal/seal"
	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/internal/testredis"
	"github.com/ecard/ecard/ledger"
	"github.com/ecard/ecard/qrcode"
	qrredis "github.com/ecard/ecard/qrcode/redis"
	"github.com/ecard/ecard/qrcode/sqlkeys"
	"github.com/ecard/ecard/terminalgw"
)

// openapiMethods are the operation keys of an OpenAPI path item.
var openapiMethods = map[string]bool{
	"get": true, "put": true, "post": true, "delete": true,
	"options": true, "head": true, "patch": true, "trace": true,
}

// openapiOperation is the part of an operation the tests check.
type openapiOperation struct {
	OperationID string               `yaml:"operationId"`
	Responses   map[string]yaml.Node `yaml:"responses"`
}

// openapiParse parses docs/openapi.yaml (as embedded in the server) into its
// operations keyed "METHOD /path", and the whole document as a node tree.
func openapiParse(t *testing.T) (map[string]openapiOperation, *yaml.Node) {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal(docs.OpenAPI, &root); err != nil {
		t.Fatalf("docs/openapi.yaml does not parse: %v", err)
	}
	var doc struct {
		OpenAPI string                          `yaml:"openapi"`
		Paths   map[string]map[string]yaml.Node `yaml:"paths"`
	}
	if err := yaml.Unmarshal(docs.OpenAPI, &doc); err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi is %q, want 3.0.3", doc.OpenAPI)
	}
	ops := map[string]openapiOperation{}
	for path, item := range doc.Paths {
		for key, node := range item {
			if !openapiMethods[key] {
				continue // parameters, summary, description, $ref, servers
			}
			var op openapiOperation
			if err := node.Decode(&op); err != nil {
				t.Fatalf("%s %s: %v", key, path, err)
			}
			ops[strings.ToUpper(key)+" "+path] = op
		}
	}
	return ops, &root
}

// openapiServer builds the whole server the way it is deployed and as
// terminalgw's tests build it: the holder API with dynamic codes configured
// and the terminal gateway mounted, so every route it answers is listed.
func openapiServer(t *testing.T) *bff.Server {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 9, 1, 4, 0, 0, 0, time.UTC) }
	db := testdb.SQLite(t)
	l, err := ledger.New(db, ledger.Options{Now: now, Argon2: ledger.Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}, Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	r := testredis.Open(t)
	ring := sqlkeys.New(db, sealer, now)
	svc := codes.New(qrcode.NewIssuer(ring, now), ring, qrredis.New(r.Client, r.Prefix+"codes:"), l)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	gw := terminalgw.New(terminalgw.Deps{Ledger: l, Redis: r.Client, Codes: svc, Log: log, Now: now, KeyPrefix: r.Prefix})
	return bff.New(bff.Deps{Ledger: l, Redis: r.Client, Metrics: prometheus.NewRegistry(), Log: log, Now: now,
		KeyPrefix: r.Prefix, JWTKey: []byte("test-jwt-key-0123456789-0123456789"), Codes: svc,
		Mount: []func(fiber.Router){gw.Register}, BodyLimitBytes: 1 << 16, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second})
}

var openapiFiberParam = regexp.MustCompile(`:([A-Za-z0-9_]+)(<[^>]*>)?\??`)

// openapiRoutes lists the app's routes as "METHOD /path" in OpenAPI's
// notation, leaving out HEAD, middleware (Use) entries and wildcard paths.
// The server is openapiServer's, so /tgw/v1 and /api/v1/me/codes are included.
func openapiRoutes(t *testing.T) map[string]bool {
	t.Helper()
	srv := openapiServer(t)
	routes := map[string]bool{}
	for _, r := range srv.App().GetRoutes(true) { // true: without Use entries
		if r.Method == http.MethodHead || r.Method == "USE" || strings.Contains(r.Path, "*") {
			continue
		}
		path := openapiFiberParam.ReplaceAllString(r.Path, "{$1}")
		if path == "" {
			path = "/"
		}
		routes[r.Method+" "+path] = true
	}
	if len(routes) == 0 {
		t.Fatal("the app has no routes")
	}
	return routes
}

// openapiResolve follows a local JSON pointer ("#/components/schemas/X") in root.
func openapiResolve(root *yaml.Node, ref string) bool {
	node := root
	if node.Kind == yaml.DocumentNode && len(node.Content) > 0 {
		node = node.Content[0]
	}
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		if node.Kind != yaml.MappingNode {
			return false
		}
		var next *yaml.Node
		for i := 0; i+1 < len(node.Content); i += 2 {
			if node.Content[i].Value == part {
				next = node.Content[i+1]
				break
			}
		}
		if next == nil {
			return false
		}
		node = next
	}
	return true
}

// openapiRefs collects every $ref value in the document.
func openapiRefs(node *yaml.Node, refs *[]string) {
	if node.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(node.Content); i += 2 {
			if node.Content[i].Value == "$ref" && node.Content[i+1].Kind == yaml.ScalarNode {
				*refs = append(*refs, node.Content[i+1].Value)
			}
		}
	}
	for _, child := range node.Content {
		openapiRefs(child, refs)
	}
}

func openapiSorted(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestOpenAPIDocumentsEveryRoute keeps docs/openapi.yaml and the routes in
// step: every route is documented, every documented operation is served, and
// each operation is well formed.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	ops, root := openapiParse(t)
	routes := openapiRoutes(t)

	for _, r := range openapiSorted(routes) {
		if _, ok := ops[r]; !ok {
			t.Errorf("route %s is not documented in docs/openapi.yaml", r)
		}
	}
	documented := map[string]bool{}
	for k := range ops {
		documented[k] = true
	}
	for _, op := range openapiSorted(documented) {
		if !routes[op] {
			t.Errorf("docs/openapi.yaml documents %s, which the server does not answer", op)
		}
	}

	ids := map[string]string{}
	for _, key := range openapiSorted(documented) {
		op := ops[key]
		if op.OperationID == "" {
			t.Errorf("%s has no operationId", key)
		} else if other, dup := ids[op.OperationID]; dup {
			t.Errorf("%s and %s share operationId %q", key, other, op.OperationID)
		} else {
			ids[op.OperationID] = key
		}
		success := false
		for status := range op.Responses {
			if len(status) == 3 && status[0] == '2' {
				success = true
			}
		}
		if !success {
			t.Errorf("%s documents no 2xx response", key)
		}
	}

	var refs []string
	openapiRefs(root, &refs)
	for _, ref := range refs {
		if !strings.HasPrefix(ref, "#/") || !openapiResolve(root, ref) {
			t.Errorf("$ref %q does not resolve within docs/openapi.yaml", ref)
		}
	}
}

// TestOpenAPIServed checks the server publishes exactly docs/openapi.yaml.
func TestOpenAPIServed(t *testing.T) {
	h := newHarness(t, testdb.SQLite(t))
	r := h.do("GET", "/api/openapi.yaml", "", nil, "X-Request-Id", "openapi-test-1")
	if r.status != http.StatusOK {
		t.Fatalf("GET /api/openapi.yaml: %d %s", r.status, r.body)
	}
	if !bytes.Equal(r.body, docs.OpenAPI) {
		t.Errorf("GET /api/openapi.yaml answered %d bytes that differ from docs.OpenAPI (%d bytes)", len(r.body), len(docs.OpenAPI))
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/yaml") {
		t.Errorf("Content-Type %q, want application/yaml", ct)
	}
	if id := r.header.Get("X-Request-Id"); id != "openapi-test-1" {
		t.Errorf("X-Request-Id %q, want the client's openapi-test-1 echoed", id)
	}
}
