print("benchmark arrives with the codecs")
