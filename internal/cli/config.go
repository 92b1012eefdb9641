package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/abanico/abanico/internal/topology"
)

// EnvPrefix prefixes the environment variable of every flag:
// --data-dir is ABANICO_DATA_DIR.
const EnvPrefix = "ABANICO_"

// envName is the environment variable that sets a flag.
func envName(flag string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applyLayers sets every flag the command line left alone from, in order of
// precedence, its environment variable and then the YAML config file (keys
// are flag names; the file's topology sections are left to
// [configTopology]). Flags given on the command line always win.
func applyLayers(fs *pflag.FlagSet, configPath string) error {
	var file map[string]any
	if configPath != "" {
		b, err := os.ReadFile(configPath)
		if err != nil {
			return fmt.Errorf("read config file: %w", err)
		}
		if err := yaml.Unmarshal(b, &file); err != nil {
			return fmt.Errorf("parse config file %s: %w", configPath, err)
		}
		for k := range file {
			if fs.Lookup(k) == nil && !topology.IsSection(k) {
				return fmt.Errorf("config file %s: unknown setting %q", configPath, k)
			}
		}
	}
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "config" || f.Name == "help" {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("environment %s: %w", envName(f.Name), e)
			}
			return
		}
		if v, ok := file[f.Name]; ok {
			if e := f.Value.Set(yamlValue(v)); e != nil {
				err = fmt.Errorf("config file setting %s: %w", f.Name, e)
			}
		}
	})
	return err
}

func yamlValue(v any) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, ",")
	default:
		return fmt.Sprint(x)
	}
}
