// RGB <-> YIQ (NTSC): luminance Y and two chroma axes, nearly decorrelated for natural images.
const TO_YIQ = mat3x3f(0.299, 0.595716, 0.211456, 0.587, -0.274453, -0.522591, 0.114, -0.321263, 0.311135);
const TO_RGB = mat3x3f(1.0, 1.0, 1.0, 0.9563, -0.2721, -1.107, 0.621, -0.6474, 1.7046);
