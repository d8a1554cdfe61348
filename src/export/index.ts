/**
 * Model conversion for deployment: a trained `BuiltModel` (src/models/index.ts) as an ONNX
 * ModelProto or as TF.js Layers files. Pure functions of the model and its weights; writing
 * files, model cards and choosing the trial live in the layers above.
 */
export { EXPORT_INPUT_NAME, EXPORT_OUTPUT_NAME } from './io-names.js';
export { type OnnxMeta, toOnnxModel } from './onnx/to-onnx-model.js';
export { TFJS_WEIGHTS_FILE, type TfjsLayersArtifacts, toTfjsLayers } from './tfjs/to-tfjs-layers.js';
