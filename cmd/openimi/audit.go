package main

import (
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system"
)

func auditCommand() *cobra.Command {
	audit := &cobra.Command{
		Use:   "audit",
		Short: "Check the tamper-evident audit trail",
		Args:  cobra.NoArgs,
	}
	audit.AddCommand(auditVerifyCommand())
	return audit
}

func auditVerifyCommand() *cobra.Command {
	var request string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Recompute the hash chains of the timelines and access logs and report the first break of each",
		Long: `Recompute every request's timeline and access-log chain (or one request's,
with --request) from PostgreSQL and report the first entry of each chain that
does not hold: the request, the table, the entry, the expected and the stored
value. Exits with status 1 when a chain is broken. The heads printed (with
--json) can be kept elsewhere, so that a later run shows that nothing was cut
off the end of a chain.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var only *uuid.UUID
			if request != "" {
				id, err := uuid.Parse(request)
				if err != nil {
					return fmt.Errorf("--request %q is not a request id: %w", request, err)
				}
				only = &id
			}
			ctx := cmd.Context()
			cfg, log, err := system.LoadConfig()
			if err != nil {
				return err
			}
			db, err := models.Open(ctx, cfg.DatabaseURL, log)
			if err != nil {
				return err
			}
			defer models.Close(db)
			result, err := models.NewStore(db).VerifyAuditChains(ctx, only)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(result); err != nil {
					return fmt.Errorf("write the result: %w", err)
				}
			} else {
				for _, b := range result.Breaks {
					fmt.Fprintln(out, "BROKEN:", b)
				}
				fmt.Fprintf(out, "%d entries in %d intact chains verified, %d broken\n",
					result.Entries, len(result.Heads), len(result.Breaks))
			}
			if len(result.Breaks) > 0 {
				return exitCode(1)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&request, "request", "", "verify only this request's chains (its id)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result, with every chain's head, as JSON")
	return cmd
}
