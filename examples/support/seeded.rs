//! The registry of a seed file, loaded as `marque serve --seed` loads one
//! into an empty embedded store, for the examples that check listings
//! in-process.

use std::{path::Path, sync::Arc, time::Duration};

use marque::{
    model::Actor,
    registry::{Registry, WriteMeta},
    seed::Seed,
    snapshot::Snapshot,
    store::MemoryStore,
};

/// The registry seed file `path` makes, at its one revision.
pub async fn seeded_snapshot(path: &Path) -> anyhow::Result<Arc<Snapshot>> {
    let seed = Seed::load(path)?;
    let registry = Registry::new(Arc::new(MemoryStore::new()), Duration::ZERO);
    registry.load().await?;
    registry
        .write(
            Actor::System,
            WriteMeta {
                only_if_empty: true,
                ..Default::default()
            },
            seed.commands()?,
        )
        .await?;
    Ok(registry.snapshot())
}
