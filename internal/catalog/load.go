package catalog

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"

	"go.yaml.in/yaml/v3"
)

//go:embed data
var embedded embed.FS

// The files of the reference data, relative to the data folder.
const (
	languagesFile = "languages.yaml"
	countriesFile = "countries.yaml"
	areasDir      = "areas"
)

// Files is the reference data built into the binary: languages.yaml,
// countries.yaml and one areas/<code>.yaml per legislative area.
func Files() fs.FS {
	sub, err := fs.Sub(embedded, "data")
	if err != nil {
		// The folder is embedded at build time; its absence is a build bug.
		panic(err)
	}
	return sub
}

// Load parses and validates the reference data built into the binary.
func Load() (*Catalog, error) {
	return LoadFS(Files())
}

// LoadFS parses and validates reference data laid out as Files is.
func LoadFS(fsys fs.FS) (*Catalog, error) {
	var src Source
	if err := decodeFile(fsys, languagesFile, &src.Languages); err != nil {
		return nil, err
	}
	if err := decodeFile(fsys, countriesFile, &src.Countries); err != nil {
		return nil, err
	}
	names, err := fs.Glob(fsys, areasDir+"/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("reference data: list areas: %w", err)
	}
	for _, name := range names {
		var a Area
		if err := decodeFile(fsys, name, &a); err != nil {
			return nil, err
		}
		// A file named after its code is found by whoever looks for it.
		if want := a.Code + ".yaml"; path.Base(name) != want {
			return nil, fmt.Errorf("reference data: %s holds area %q and should be named %s", name, a.Code, want)
		}
		src.Areas = append(src.Areas, a)
	}
	c, err := New(src)
	if err != nil {
		return nil, fmt.Errorf("reference data: %w", err)
	}
	return c, nil
}

// decodeFile reads one YAML document, refusing keys the types do not know:
// a misspelt key would otherwise drop a translation without a word.
func decodeFile(fsys fs.FS, name string, into any) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("reference data: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(into); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("reference data: %s is empty", name)
		}
		return fmt.Errorf("reference data: %s: %w", name, err)
	}
	return nil
}
