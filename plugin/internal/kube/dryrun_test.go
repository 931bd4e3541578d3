package kube

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
)

// The REST dry-runner sends what client-go's dynamic client sends (the resource's path, dryRun=All,
// the field manager; an apply with force) and gives a refusal back as the same API error, without
// decoding an accepted object.
func TestTheDryRunnerSendsDryRunsAndReturnsTheServersStatus(t *testing.T) {
	type seen struct{ method, path, query, contentType, body string }
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type"), string(b)})
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/apis/apps/v1/namespaces/prod/deployments":
			w.WriteHeader(http.StatusConflict)
			_, _ = io.WriteString(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"deployments.apps \"web\" already exists","reason":"AlreadyExists","details":{"name":"web","group":"apps","kind":"deployments"},"code":409}`)
		case "/apis/apps/v1/namespaces/prod/deployments/web":
			w.WriteHeader(http.StatusUnprocessableEntity)
			_, _ = io.WriteString(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: -1","reason":"Invalid","code":422}`)
		default:
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"this is": "not decoded`)
		}
	}))
	defer srv.Close()
	d, err := NewDryRunner(&rest.Config{Host: srv.URL})
	require.NoError(t, err)
	ctx := context.Background()

	json := func(s string) Body { return Body{Data: []byte(s), ContentType: "application/json"} }
	require.NoError(t, d.Create(ctx, schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}, "prod", json(`{"kind":"ConfigMap"}`)))
	require.NoError(t, d.Create(ctx, schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}, "", json(`{}`)))
	err = d.Create(ctx, schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, "prod", Body{Data: []byte("k8s\x00..."), ContentType: "application/vnd.kubernetes.protobuf"})
	assert.True(t, apierrors.IsAlreadyExists(err), "%v", err)
	err = d.Apply(ctx, schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, "prod", "web", []byte(`{"kind":"Deployment"}`))
	assert.True(t, apierrors.IsInvalid(err), "%v", err)
	assert.EqualError(t, err, `Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1`)

	assert.Equal(t, []seen{
		{"POST", "/api/v1/namespaces/prod/configmaps", "dryRun=All&fieldManager=stackcheck", "application/json", `{"kind":"ConfigMap"}`},
		{"POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", "dryRun=All&fieldManager=stackcheck", "application/json", `{}`},
		{"POST", "/apis/apps/v1/namespaces/prod/deployments", "dryRun=All&fieldManager=stackcheck", "application/vnd.kubernetes.protobuf", "k8s\x00..."},
		{"PATCH", "/apis/apps/v1/namespaces/prod/deployments/web", "dryRun=All&fieldManager=stackcheck&force=true", "application/apply-patch+yaml", `{"kind":"Deployment"}`},
	}, got)
}
