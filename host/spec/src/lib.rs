//! The job spec: YAML parsing and validation with errors that name the field.
