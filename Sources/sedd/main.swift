print("sedd")
