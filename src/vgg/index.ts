export { expectedTensors, kerasName, layerIndex, minimumSide, VGG19_CONVS, VGG19_FEATURES, type VggModule } from './layers.js';
export { convShapesForStep, featureShape, moduleShapes, type FeatureShape, type ModuleShape } from './shapes.js';
export { Vgg19, type Pooling, type VggOptions } from './model.js';
export { CAFFE_INPUT, TORCHVISION_INPUT, type InputConvention, type VggWeights, type WeightTensor } from './weights.js';
