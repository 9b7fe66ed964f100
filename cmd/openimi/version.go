package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/openimi/openimi/internal/observability"
)

func versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and git revision this binary was built from",
		Long: `Print the version and git revision this binary was built from: those the
Makefile and the Dockerfile give the linker, else those the go command
stamped. The api and worker publish the same as the openimi_build_info metric.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := observability.Build()
			modified := ""
			if b.Modified {
				modified = " (modified)"
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "openimi %s\nrevision %s%s\n%s\n", b.Version, b.Revision, modified, b.GoVersion)
			return err
		},
	}
}
