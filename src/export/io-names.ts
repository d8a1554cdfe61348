/**
 * The names an exported model's input and output carry, the same in both formats (the ONNX
 * graph's input and output, the TF.js model's input layer and last layer), so a model card
 * can name them once.
 */
export const EXPORT_INPUT_NAME = 'signals';
export const EXPORT_OUTPUT_NAME = 'probabilities';
