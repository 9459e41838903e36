import DataLoader from 'dataloader';

/** Per-request cache of DataLoaders, keyed by what they load (e.g. "Seller.byId"). */
export class LoaderRegistry {
  private readonly loaders = new Map<string, DataLoader<unknown, unknown>>();

  get<K, V>(key: string, batch: (keys: readonly K[]) => Promise<ArrayLike<V | Error>>): DataLoader<K, V> {
    let loader = this.loaders.get(key);
    if (!loader) {
      loader = new DataLoader<K, V>(batch, { maxBatchSize: 1000 });
      this.loaders.set(key, loader);
    }
    return loader as DataLoader<K, V>;
  }

  clearAll(): void {
    for (const loader of this.loaders.values()) loader.clearAll();
  }
}
