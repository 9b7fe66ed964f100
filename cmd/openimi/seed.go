package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system"
	"github.com/openimi/openimi/system/demo"
)

func seedCommand() *cobra.Command {
	var withDemo bool
	var authorities int
	cmd := &cobra.Command{
		Use:   "seed --demo [--authorities N]",
		Short: "Fill an empty directory with demo authorities, coordinators and officials",
		Long: `Fill an empty directory with demo data: N competent authorities spread over the
30 countries (the 5,000th is the Municipality of Lloret de Vistalegre, ES), the
national coordinator of each country and four demo logins per country. The same N
gives the same data on every run. Pending migrations are applied first. A
database that has any authority is left untouched: demo data never mixes with
real data.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !withDemo {
				return errors.New("seed: --demo is required: demo data is the only seed there is")
			}
			if authorities < 1 || authorities > 1_000_000 {
				return fmt.Errorf("seed: --authorities must be between 1 and 1000000, not %d", authorities)
			}
			ctx := cmd.Context()
			cfg, log, err := system.LoadConfig()
			if err != nil {
				return err
			}
			log.Info("starting seed", "config", cfg)
			db, err := models.Open(ctx, cfg.DatabaseURL, log)
			if err != nil {
				return err
			}
			defer models.Close(db)
			store := models.NewStore(db)
			cat, err := system.LoadCatalog(log)
			if err != nil {
				return err
			}
			if err := system.Migrate(ctx, store, cat, log); err != nil {
				return err
			}
			return seedDemo(ctx, store, demo.CatalogCompetences(cat), authorities, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&withDemo, "demo", false, "seed demo data (required)")
	cmd.Flags().IntVar(&authorities, "authorities", demo.DefaultAuthorities, "how many competent authorities to create")
	return cmd
}

// seedDemo seeds the demo directory and prints what it created and the
// logins.
func seedDemo(ctx context.Context, store *models.Store, comps demo.Competences, n int, out io.Writer) error {
	started := time.Now()
	seeded, err := demo.Seed(ctx, store, comps, n)
	if errors.Is(err, models.ErrDirectoryNotEmpty) {
		return errors.New("seed: the directory has authorities already; demo data goes only into an empty database")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Created %d competent authorities and %d national coordinators in 30 countries, with %d demo officials, in %s.\n",
		seeded.Authorities, seeded.Coordinators, len(seeded.Officials), time.Since(started).Round(time.Millisecond))
	fmt.Fprintf(out, "Every demo login's password is %q.\n\n", demo.Password)
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "LOGIN\tFUNCTION\tAUTHORITY")
	for _, o := range seeded.Officials {
		fmt.Fprintf(w, "%s\t%s\t%s\n", o.User.Email, o.Function, o.Authority)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("seed: print the logins: %w", err)
	}
	return nil
}

// seedDemoIfEmpty gives `dev` on a new database something to search and
// people to log in as; a directory with any authority is left alone.
func seedDemoIfEmpty(ctx context.Context, store *models.Store, comps demo.Competences, log *slog.Logger) error {
	empty, err := store.DirectoryIsEmpty(ctx)
	if err != nil || !empty {
		return err
	}
	started := time.Now()
	seeded, err := demo.Seed(ctx, store, comps, demo.DefaultAuthorities)
	if errors.Is(err, models.ErrDirectoryNotEmpty) || ctx.Err() != nil {
		// Another process filled it in the meantime, or dev is stopping:
		// the transaction left nothing, and the next start seeds.
		return nil
	}
	if err != nil {
		return err
	}
	log.Info("empty directory: demo data seeded", "authorities", seeded.Authorities, "coordinators", seeded.Coordinators,
		"officials", len(seeded.Officials), "logins", "coordinator|admin|handler|allocator.<country>@"+demo.LoginDomain,
		"took", time.Since(started).Round(time.Millisecond).String())
	return nil
}

// hasDemoLogins reports whether the demo officials exist, so that `dev`
// lists them only when they do.
func hasDemoLogins(ctx context.Context, store *models.Store) bool {
	_, err := store.UserByEmail(ctx, "coordinator.at@"+demo.LoginDomain)
	return err == nil
}
