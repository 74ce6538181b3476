import { applyMask, type Mask, type WeightTensor } from '@lth/core';
import type { ArtifactStore } from '@lth/store';
import { Network, tf } from '@lth/tensor';
import { loadInitialWeights, loadMaskFor, requireModel } from './model-weights';

/** A TF.js layers model in memory: model.json's content and the one weights file it names. */
export interface LayersModelFiles {
  modelJson: Record<string, unknown>;
  weightsBin: Uint8Array;
}

export interface ExportedTicket {
  /** m ⊙ θ: the weights with the pruned ones zeroed, under lth's names. */
  weights: WeightTensor[];
  mask: Mask | undefined;
  layersModel: LayersModelFiles;
}

export interface TicketSource {
  model: string;
  input: { height: number; width: number; channels: number; numClasses: number };
  /** The weights as fine-tuning starts from them (rewound: θ_p with the fresh head the seed draws). */
  init: { digest: string; seed: number; freshHead: boolean };
  maskDigest: string;
}

/** The weights file's name in model.json: the layers model is the two files side by side. */
export const WEIGHTS_FILE = 'weights.bin';

/**
 * A ticket as a TF.js layers model that `tf.loadLayersModel` loads: the network built as the services
 * build it, its weights set exactly as a fine-tuning request would set them (so a fresh head is the one
 * fine-tuning drew), then the mask applied. No device read in a loop: one read of every weight.
 */
export async function exportTicket(store: ArtifactStore, source: TicketSource): Promise<ExportedTicket> {
  requireModel(source.model);
  const { numClasses, ...input } = source.input;
  const network = new Network(source.model, input, numClasses);
  try {
    await loadInitialWeights(store, network, source.init);
    const mask = await loadMaskFor(store, network, source.maskDigest);
    const weights = mask ? applyMask(await network.getWeights(), mask) : await network.getWeights();
    network.setWeights(weights);
    let saved: tf.io.ModelArtifacts | undefined;
    await network.model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const data = saved!.weightData as ArrayBuffer;
    const modelJson = {
      format: 'layers-model',
      generatedBy: saved!.generatedBy,
      convertedBy: null,
      modelTopology: saved!.modelTopology,
      weightsManifest: [{ paths: [WEIGHTS_FILE], weights: saved!.weightSpecs }],
    };
    return { weights, mask, layersModel: { modelJson, weightsBin: new Uint8Array(data) } };
  } finally {
    network.dispose();
  }
}
