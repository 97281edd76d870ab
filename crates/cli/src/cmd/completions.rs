//! `blocksale completions`: shell completion scripts (clap_complete).

use clap::Args as ClapArgs;
use clap::CommandFactory;
use clap_complete::Shell;

/// Flags of `blocksale completions`.
#[derive(Debug, ClapArgs)]
#[command(after_help = "\
Example:
  blocksale completions bash > ~/.local/share/bash-completion/completions/blocksale
  blocksale completions zsh > ~/.zfunc/_blocksale      # with fpath+=~/.zfunc before compinit
  blocksale completions fish > ~/.config/fish/completions/blocksale.fish")]
pub struct Args {
    /// Shell to generate the script for
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(["bash", "zsh", "fish"]))]
    pub shell: String,
}

/// Write the script to stdout.
pub fn run(a: Args) -> anyhow::Result<()> {
    let shell = match a.shell.as_str() {
        "bash" => Shell::Bash,
        "zsh" => Shell::Zsh,
        _ => Shell::Fish,
    };
    let mut cmd = crate::cli::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "blocksale", &mut script);
    crate::output::print_stdout(&String::from_utf8_lossy(&script))
}
