from core.server import main

main()
