package cli

import (
	"bytes"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/provenance"
	"helm.sh/helm/v3/pkg/repo"
)

// keyring writes an OpenPGP key's secret and public keyrings (the legacy files Helm reads).
func keyring(t *testing.T, dir, name string) (secring, pubring string) {
	t.Helper()
	e, err := openpgp.NewEntity(name, "", name+"@stack.test", &packet.Config{Algorithm: packet.PubKeyAlgoRSA, RSABits: 2048})
	require.NoError(t, err)
	var sec, pub bytes.Buffer
	require.NoError(t, e.SerializePrivate(&sec, nil))
	require.NoError(t, e.Serialize(&pub))
	secring, pubring = filepath.Join(dir, name+".sec"), filepath.Join(dir, name+".pub")
	require.NoError(t, os.WriteFile(secring, sec.Bytes(), 0o600))
	require.NoError(t, os.WriteFile(pubring, pub.Bytes(), 0o644))
	return secring, pubring
}

// Issue 17/18: a repository or registry behind HTTPS with a private CA (--ca-file), and the
// chart's provenance checked before anything else (--verify --keyring), as helm install takes
// them: signed by the trusted key passes, by another key or tampered is bad input.
func TestChartSourcesOverTLSAndVerified(t *testing.T) {
	cluster(t, true)
	home := t.TempDir()
	t.Setenv("HELM_REPOSITORY_CONFIG", filepath.Join(home, "repositories.yaml"))
	t.Setenv("HELM_REPOSITORY_CACHE", filepath.Join(home, "cache"))
	t.Setenv("HELM_REGISTRY_CONFIG", filepath.Join(home, "registry.json"))
	keys := t.TempDir()
	trustedSec, trustedPub := keyring(t, keys, "trusted")
	otherSec, _ := keyring(t, keys, "other")

	dir := t.TempDir()
	for v, key := range map[string][2]string{"0.1.0": {trustedSec, "trusted"}, "0.2.0": {otherSec, "other"}, "0.3.0": {trustedSec, "trusted"}} {
		ch, err := loader.Load(chart)
		require.NoError(t, err)
		ch.Metadata.Version = v
		archive, err := chartutil.Save(ch, dir)
		require.NoError(t, err)
		signer, err := provenance.NewFromKeyring(key[0], key[1])
		require.NoError(t, err)
		prov, err := signer.ClearSign(archive)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(archive+".prov", []byte(prov), 0o644))
	}
	// 0.3.0 is tampered with after signing.
	f, err := os.OpenFile(filepath.Join(dir, "shop-0.3.0.tgz"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, _ = f.Write([]byte("x"))
	require.NoError(t, f.Close())

	srv := httptest.NewTLSServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	index, err := repo.IndexDirectory(dir, srv.URL)
	require.NoError(t, err)
	require.NoError(t, index.WriteFile(filepath.Join(dir, "index.yaml"), 0o644))
	ca := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644))

	args := func(version string, extra ...string) []string {
		return append([]string{"preflight", "shop", "--repo", srv.URL, "--version", version, "-n", "shop", "-o", "json", "--only", "capacity"}, extra...)
	}
	code, _, errOut := run(args("0.1.0")...)
	assert.Equal(t, ExitBadInput, code, "a certificate no CA vouches for")
	assert.Contains(t, errOut, "certificate")
	code, out, errOut := run(args("0.1.0", "--ca-file", ca)...)
	require.Equal(t, ExitOK, code, errOut)
	assert.Contains(t, out, `"release": "shop"`)
	code, _, errOut = run(args("0.1.0", "--ca-file", ca, "--verify", "--keyring", trustedPub)...)
	require.Equal(t, ExitOK, code, errOut)
	code, _, errOut = run(args("0.2.0", "--ca-file", ca, "--verify", "--keyring", trustedPub)...)
	assert.Equal(t, ExitBadInput, code, "signed by a key not in the keyring")
	assert.Contains(t, errOut, "unknown entity")
	code, _, errOut = run(args("0.3.0", "--ca-file", ca, "--verify", "--keyring", trustedPub)...)
	assert.Equal(t, ExitBadInput, code, "tampered after signing")
	assert.Contains(t, errOut, "sha256 sum does not match")
	code, _, errOut = run(args("0.1.0", "--ca-file", filepath.Join(keys, "trusted.pub"))...)
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, errOut, "--ca-file")
}
