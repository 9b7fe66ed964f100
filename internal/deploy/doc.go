// Package deploy holds checks of the operator's deployment files: the
// Dockerfile and docker-compose.yml at the repository root. They are tested
// here, with no Docker engine, so that a broken dependency order, an unpinned
// image or a missing variable fails in `go test` rather than on an operator's
// server.
package deploy
