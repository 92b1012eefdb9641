package cli

import (
	"io"

	"github.com/spf13/cobra"
)

func newBench(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load tools that measure an endpoint",
	}
	return cmd
}
