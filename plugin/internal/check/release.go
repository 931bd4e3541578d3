package check

import (
	"context"
	"fmt"
	"time"
)

// ReleaseDeployed: Helm recorded the release's last operation as deployed (not failed, not
// pending an install, upgrade or rollback that never finished).
type ReleaseDeployed struct{}

func (ReleaseDeployed) Name() string { return "release" }
func (ReleaseDeployed) Description() string {
	return "Helm's record of the release says deployed (not failed or pending)"
}
func (ReleaseDeployed) Run(_ context.Context, env *Env) []Result {
	d := env.Deployed
	if d == nil {
		return nil
	}
	id := "release/" + env.Namespace + "/" + env.Release
	if d.Status != "deployed" {
		return []Result{{Status: Fail, Object: id, Message: fmt.Sprintf("revision %d is %s (since %s)", d.Revision, d.Status, d.At.UTC().Format(time.RFC3339)),
			Hint: fmt.Sprintf("helm -n %s history %s; a pending operation that was interrupted needs a rollback or a new upgrade", env.Namespace, env.Release)}}
	}
	return []Result{{Status: Pass, Object: id, Message: fmt.Sprintf("revision %d deployed at %s", d.Revision, d.At.UTC().Format(time.RFC3339))}}
}
