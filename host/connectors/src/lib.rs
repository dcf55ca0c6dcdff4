//! Sources and sinks: files, a deterministic generator, stdout; watermark generation.
