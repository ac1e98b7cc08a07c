from carecoord.cli import main

main()
