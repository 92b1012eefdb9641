// Command abanico is the Abanico server and its command line tools.
package main

import (
	"os"

	"github.com/abanico/abanico/internal/cli"
)

func main() {
	os.Exit(cli.Execute(os.Args[1:], os.Stdout, os.Stderr))
}
