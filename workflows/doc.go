// Package workflows holds OpenIMI's durable state machines and the names and
// payload types the API and the worker share with them. Workflow code here is
// deterministic: no clock but workflow.Now, no goroutines but workflow.Go, no
// I/O but activities.
package workflows
