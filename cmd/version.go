package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/baverify/baverify/internal/buildinfo"
	"github.com/baverify/baverify/internal/render"
)

type versionOptions struct {
	out outputFlags
}

func newVersionCmd(f *Factory) *cobra.Command {
	opts := &versionOptions{}
	c := &cobra.Command{
		Use:   "version",
		Short: "Show baverify's version, commit, build date, Go version and platform",
		Long: `Show which baverify this is: the version, the commit it was built from, the
build date, the Go version that compiled it and the platform it runs on.

Release builds carry all of them. A binary built with
"go install github.com/baverify/baverify@v1.2.3" reports the module version
(and the commit and date when Go recorded them); a build without either
says "dev". "baverify --version" prints the same line. Include it in a bug
report.`,
		Example: `  baverify version
  baverify --version

  # scripts: one JSON object with version, commit, date, goVersion, platform
  baverify version --output json | jq -r .version`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			return runVersion(f, opts)
		},
	}
	opts.out.register(c)
	return c
}

// buildInfo resolves the linker stamp in the factory against what the Go
// toolchain recorded in the binary.
func buildInfo(f *Factory) buildinfo.Info {
	return buildinfo.Current(buildinfo.Stamp{Version: f.Version.Version, Commit: f.Version.Commit, Date: f.Version.Date})
}

func runVersion(f *Factory, opts *versionOptions) error {
	if err := opts.out.validate(); err != nil {
		return err
	}
	info := buildInfo(f)
	if opts.out.json() {
		return render.JSON(f.IO.Out, info)
	}
	_, err := fmt.Fprintln(f.IO.Out, info)
	return err
}

// userAgent names baverify and its version in requests.
func userAgent(f *Factory) string {
	v := buildInfo(f).Version
	if v == "" {
		v = "dev"
	}
	return "baverify/" + v
}
