"""The GAN family's card protocol (FID/KID), card fields and real-set caches; training is ``zoo train``."""
