"""vnplans: OCR cleanup and structured extraction for Vietnamese administrative plans."""
__version__ = "0.1.0"
