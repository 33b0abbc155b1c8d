"""genai-bot: the Discord layer and the command line over `genai_models`."""
