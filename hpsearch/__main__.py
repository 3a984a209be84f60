from hpsearch.launch import main

main()
