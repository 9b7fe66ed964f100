package config

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
)

// The connection to Temporal is configured the way Temporal's own tools are:
// the SDK's envconfig reads TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
// TEMPORAL_API_KEY, TEMPORAL_TLS and TEMPORAL_TLS_* (certificate, key, CA,
// server name), TEMPORAL_GRPC_META_*, and a profile of the TOML file named by
// TEMPORAL_CONFIG_FILE (TEMPORAL_PROFILE, default "default"). The address and
// namespace stay fields of Config because `openimi dev` replaces the address
// with that of the server it starts.

// envMap lets envconfig read the environment Load was given rather than the
// process's, so that tests and `openimi` agree.
type envMap map[string]string

func (e envMap) Environ() []string {
	out := make([]string, 0, len(e))
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	return out
}

func (e envMap) LookupEnv(key string) (string, bool) {
	v, ok := e[key]
	return v, ok
}

// loadTemporalProfile reads the profile file and the TEMPORAL_* variables;
// an address or namespace the profile file gives, and no variable
// overrides, becomes the configuration's.
func (c *Config) loadTemporalProfile(vars map[string]string) error {
	profile, err := envconfig.LoadClientConfigProfile(envconfig.LoadClientConfigProfileOptions{
		EnvLookup: envMap(vars),
	})
	if err != nil {
		return fmt.Errorf("TEMPORAL_CONFIG_FILE or TEMPORAL_PROFILE: %w", err)
	}
	if !c.given["TEMPORAL_ADDRESS"] && profile.Address != "" {
		c.TemporalAddress = profile.Address
		c.given["TEMPORAL_ADDRESS"] = true
	}
	if !c.given["TEMPORAL_NAMESPACE"] && profile.Namespace != "" {
		c.TemporalNamespace = profile.Namespace
	}
	c.temporalProfile = profile
	// Certificates are read now, so that a wrong path stops the program at
	// start with one line, not at its first connection.
	if _, err := c.TemporalClientOptions(); err != nil {
		return err
	}
	return nil
}

// TemporalClientOptions are the options to dial Temporal with: TLS, API key
// and headers from envconfig, the address and namespace of c. The caller
// adds its logger and metrics.
func (c Config) TemporalClientOptions() (client.Options, error) {
	opts, err := c.temporalProfile.ToClientOptions(envconfig.ToClientOptionsRequest{})
	if err != nil {
		return client.Options{}, fmt.Errorf("TEMPORAL_TLS_* or TEMPORAL_API_KEY: %w", err)
	}
	opts.HostPort = c.TemporalAddress
	opts.Namespace = c.TemporalNamespace
	if opts.HostPort == "" {
		return client.Options{}, errors.New("TEMPORAL_ADDRESS: must not be empty")
	}
	return opts, nil
}
