module github.com/stack-charts/stack

go 1.26.8

require (
	github.com/stretchr/testify v1.12.1 // indirect
	helm.sh/helm/v3 v3.22.0 // indirect
)
