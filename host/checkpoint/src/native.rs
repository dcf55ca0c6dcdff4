//! Uploading a backend's native snapshot (`weir_state::NativeSnapshot`).

use weir_state::NativeSnapshot;

use crate::error::Result;
use crate::metadata::{NativeFileRef, NativeHandle};
use crate::pending::PendingCheckpoint;

impl PendingCheckpoint {
    /// Uploads every file of a native snapshot: immutable (`shared`) files
    /// through [`Self::put_shared`], so a checkpoint stores only those no
    /// earlier checkpoint stored; the rest as exclusive files
    /// `native/<instance>/<name>`. When the storage is not incremental
    /// ([`crate::CheckpointStorage::set_incremental`]) every file is
    /// exclusive. Does not delete the local folder.
    pub fn put_native(&self, snapshot: &NativeSnapshot) -> Result<NativeHandle> {
        let instance = &snapshot.instance;
        let incremental = self.is_incremental();
        let files = snapshot
            .files
            .iter()
            .map(|native| {
                let local = snapshot.dir.join(&native.name);
                let file = if native.shared && incremental {
                    self.put_shared(instance, &native.name, &local)?
                } else {
                    self.put_file(&format!("native/{instance}/{}", native.name), &local)?
                };
                Ok(NativeFileRef {
                    name: native.name.clone(),
                    file,
                })
            })
            .collect::<Result<_>>()?;
        Ok(NativeHandle {
            format: snapshot.format.clone(),
            instance: instance.clone(),
            files,
        })
    }
}
