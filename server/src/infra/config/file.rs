//! The optional TOML config file: its settings become the defaults of the options with the
//! same long names, so that clap validates them like everything else and the command line
//! and environment still win.

use std::path::Path;

use clap::error::ErrorKind;

/// Makes `file`'s settings the defaults of `command`'s options.
pub fn apply_as_defaults(
    mut command: clap::Command,
    file: &Path,
) -> Result<clap::Command, clap::Error> {
    let problem = |kind: ErrorKind, message: String| {
        clap::Command::new("nido-server").error(kind, format!("{}: {message}", file.display()))
    };
    let text = std::fs::read_to_string(file)
        .map_err(|error| problem(ErrorKind::Io, format!("cannot read it: {error}")))?;
    let table: toml::Table = text
        .parse()
        .map_err(|error| problem(ErrorKind::InvalidValue, format!("not valid TOML: {error}")))?;
    for (key, value) in table {
        let id = command
            .get_arguments()
            .find(|arg| arg.get_long() == Some(key.as_str()) && key != "config")
            .map(|arg| arg.get_id().clone())
            .ok_or_else(|| {
                problem(
                    ErrorKind::UnknownArgument,
                    format!("unknown setting {key:?}"),
                )
            })?;
        let values = setting_values(&value).ok_or_else(|| {
            problem(
                ErrorKind::InvalidValue,
                format!("{key:?} must be a string, number, true/false or a list of them"),
            )
        })?;
        command = command.mut_arg(id, |arg| arg.default_values(values));
    }
    Ok(command)
}

/// A setting as the strings the command line would carry.
fn setting_values(value: &toml::Value) -> Option<Vec<String>> {
    match value {
        toml::Value::Array(items) => items.iter().map(scalar).collect(),
        other => scalar(other).map(|single| vec![single]),
    }
}

fn scalar(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(text) => Some(text.clone()),
        toml::Value::Integer(number) => Some(number.to_string()),
        toml::Value::Boolean(flag) => Some(flag.to_string()),
        _ => None,
    }
}
