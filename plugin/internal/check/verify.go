package check

// Verify is every check of `stackcheck verify RELEASE`: the installed release is healthy, judged
// from the objects' status (no sleeps).
func Verify() []Check {
	return []Check{ReleaseDeployed{}, WorkloadsAvailable{}, JobsComplete{}, PVCsBound{}, CertificatesReady{}, ServiceEndpoints{}, NoCrashLoops{}}
}
