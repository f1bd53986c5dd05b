export { convShapesForStep, expectedTensors, kerasName, layerIndex, VGG19_CONVS, VGG19_FEATURES, type VggModule } from './layers.js';
export { Vgg19, type Pooling, type VggOptions } from './model.js';
export { CAFFE_INPUT, TORCHVISION_INPUT, type InputConvention, type VggWeights, type WeightTensor } from './weights.js';
